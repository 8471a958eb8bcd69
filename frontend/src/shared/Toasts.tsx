import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { Link } from 'react-router';

/**
 * An intent-only toast (docs/spec.md §4 Ops-UX): it says what was just asked for and links to where the
 * rest happens. It never shows progress and never changes after it appears; progress lives on
 * the run detail page.
 */
export interface ToastMessage {
  title: string;
  link?: { to: string; label: string };
}

interface ShownToast extends ToastMessage {
  id: number;
}

interface ToastApi {
  show: (toast: ToastMessage) => void;
}

const ToastContext = createContext<ToastApi | null>(null);

/**
 * How long a toast without a link stays before it leaves on its own. A toast with a link stays
 * until it is dismissed or its link is followed (issue 16, obs. 11): whoever needs longer to
 * reach it must not find it gone (WCAG 2.2.1).
 */
export const TOAST_MS = 15_000;

let nextId = 1;

/** Holds the toasts and renders them in one polite live region. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<ShownToast[]>([]);
  const dismiss = useCallback((id: number) => {
    setToasts((current) => current.filter((toast) => toast.id !== id));
  }, []);
  const show = useCallback(
    (toast: ToastMessage) => {
      const id = nextId++;
      // Copy only the intent fields: a toast cannot be handed live data to keep re-rendering.
      setToasts((current) => [...current, { id, title: toast.title, link: toast.link }]);
      if (!toast.link) window.setTimeout(() => dismiss(id), TOAST_MS);
    },
    [dismiss],
  );
  const api = useMemo(() => ({ show }), [show]);

  return (
    <ToastContext value={api}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((toast) => (
          <div key={toast.id} className="toast" data-testid="toast">
            <strong>{toast.title}</strong>
            {toast.link && (
              <Link to={toast.link.to} onClick={() => dismiss(toast.id)}>
                {toast.link.label}
              </Link>
            )}
            <button
              type="button"
              className="button-link"
              aria-label={`Dismiss: ${toast.title}`}
              onClick={() => dismiss(toast.id)}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext>
  );
}

export function useToasts(): ToastApi {
  const api = useContext(ToastContext);
  if (api === null) throw new Error('useToasts needs a ToastProvider');
  return api;
}
