import { mount } from '../shared/mount';
import { App } from './App';
import { api } from './session';

mount(api, <App />);
