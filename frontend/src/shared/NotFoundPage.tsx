import { Link } from 'react-router';

/** Any path the app does not know. */
export function NotFoundPage({ appTitle, homePath }: { appTitle: string; homePath: string }) {
  return (
    <section>
      <title>{`Page not found · ${appTitle}`}</title>
      <h1>Page not found</h1>
      <p>
        <Link to={homePath}>Go to the start page</Link>
      </p>
    </section>
  );
}
