// Generated from openapi/customer.openapi.yaml by `npm run gen:api` — do not edit.
// Change the backend's #[utoipa::path] annotations, run `make openapi`, then regenerate.

export interface paths {
    "/admin/api/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign a customer user in.
         * @description Checks the username and password and starts a new session: a new session id in the
         *     `tp_admin_session` cookie and a new CSRF token in the body. Throttled like the operator login
         *     (10 attempts per minute per client IP and username); a cross-site attempt is 403.
         *
         *     Who may call it: anyone; no credentials. Changes: creates a session, counts the attempt in the
         *     login throttle, writes an audit event (`auth.login.*`).
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign out.
         * @description Ends the current session: its row is deleted and the cookie cleared.
         *
         *     Who may call it: a signed-in customer user, with the `X-CSRF-Token` header. Changes: deletes the
         *     session; audit `auth.logout`.
         */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The signed-in customer user.
         * @description The customer user (id, username, workspace) and the session's CSRF token.
         *
         *     Who may call it: a signed-in customer user (session cookie). Changes nothing.
         */
        get: operations["me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/auth/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The signed-in customer user, if any.
         * @description The signed-in user and CSRF token, or nulls when nobody is signed in: public like login, so a
         *     customer page load never logs a 401 (the operator plane's `auth/session` does the same).
         *     Scripts keep `auth/me`, which answers 401 without a session.
         *
         *     Who may call it: anyone; no credentials needed. Changes nothing.
         */
        get: operations["session"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The customer plane's OpenAPI document.
         * @description This contract as JSON: the document committed as `openapi/customer.openapi.yaml`, generated from
         *     the handlers' annotations.
         *
         *     Who may call it: anyone; no credentials. Changes nothing.
         */
        get: operations["admin_openapi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the workspace's tenants.
         * @description The tenants of the user's own workspace, by id, paginated.
         *
         *     Who may call it: a signed-in customer user (session cookie). Changes nothing.
         */
        get: operations["list_tenants"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/tenants/{id}/findings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List one tenant's findings.
         * @description The findings of one tenant of the user's own workspace, by id, paginated. A tenant of another
         *     workspace is 404, exactly as a tenant that does not exist.
         *
         *     Who may call it: a signed-in customer user (session cookie). Changes nothing.
         */
        get: operations["list_findings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description Credentials. */
        CustomerLoginRequest: {
            /** @description Password. */
            password: string;
            /** @description Username (case-insensitive). */
            username: string;
        };
        /**
         * @description The session as the customer login page sees it: the signed-in user and their CSRF token, or
         *     both null when nobody is signed in.
         */
        CustomerSessionState: {
            /** @description The session's CSRF token (null: nobody). */
            csrf_token?: string | null;
            user?: components["schemas"]["UserView"] | null;
        };
        /** @description An RFC 9457 problem document. */
        Problem: {
            /**
             * Format: int64
             * @description The active run that blocks a start (409 only).
             */
            active_run_id?: number | null;
            /**
             * @description A stable name of the refusal for scripts, where one exists (e.g. `preflight_used`,
             *     `no_changes`).
             */
            code?: string | null;
            /** @description Human-readable explanation of this occurrence. */
            detail: string;
            /** @description Field errors (422 only). */
            errors?: {
                [key: string]: string[];
            } | null;
            /**
             * Format: int32
             * @description The HTTP status code.
             */
            status: number;
            /** @description Short, human-readable summary of the problem type. */
            title: string;
            /** @description A URI reference naming the problem type (`about:blank` for plain HTTP statuses). */
            type: string;
        };
        /** @description The signed-in user and the CSRF token their unsafe requests must echo in `X-CSRF-Token`. */
        UserSession: {
            /** @description The session's CSRF token. */
            csrf_token: string;
            /** @description Who. */
            user: components["schemas"]["UserView"];
        };
        /** @description A customer user as the API shows them. */
        UserView: {
            /** @description Display name. */
            display_name: string;
            /**
             * Format: int64
             * @description User id.
             */
            id: number;
            /** @description Username. */
            username: string;
            /**
             * Format: int64
             * @description The user's workspace.
             */
            workspace_id: number;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CustomerLoginRequest"];
            };
        };
        responses: {
            /** @description Signed in; the session cookie is set */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserSession"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid username or password */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Cross-site login attempt */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong fields or types, or an empty username or one longer than 64 characters (refused, never truncated) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the customer API, or (login) too many failed attempts; retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed out */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in: no session cookie, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or wrong X-CSRF-Token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the customer API, or (login) too many failed attempts; retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The current user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserSession"];
                };
            };
            /** @description Not signed in: no session cookie, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the customer API, or (login) too many failed attempts; retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The session: the user and CSRF token, or nulls */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CustomerSessionState"];
                };
            };
            /** @description Credentials of the operator plane */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the customer API, or (login) too many failed attempts; retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    admin_openapi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description Too many requests: this client's rate limit over the customer API, or (login) too many failed attempts; retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_tenants: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page, 1..=100 (default 25). */
                per_page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of tenants */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The items of this page. */
                        items: {
                            /** @description External id. */
                            external_id: string;
                            /**
                             * Format: int64
                             * @description Tenant id.
                             */
                            id: number;
                            /** @description Name. */
                            name: string;
                        }[];
                        /**
                         * Format: int64
                         * @description This page's number.
                         */
                        page: number;
                        /**
                         * Format: int64
                         * @description The page size.
                         */
                        per_page: number;
                        /**
                         * Format: int64
                         * @description Items over all pages.
                         */
                        total: number;
                    };
                };
            };
            /** @description Not signed in: no session cookie, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid pagination */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the customer API, or (login) too many failed attempts; retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_findings: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page, 1..=100 (default 25). */
                per_page?: number;
            };
            header?: never;
            path: {
                /** @description Tenant id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of findings */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The items of this page. */
                        items: {
                            /**
                             * Format: date-time
                             * @description Closed.
                             */
                            closed_at?: string | null;
                            /** @description Why closed. */
                            closed_reason?: string | null;
                            /**
                             * Format: date-time
                             * @description Created.
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description Due date.
                             */
                            due_at?: string | null;
                            /**
                             * Format: date-time
                             * @description First seen.
                             */
                            first_seen_at?: string | null;
                            /**
                             * Format: int64
                             * @description Finding id.
                             */
                            id: number;
                            /**
                             * Format: date-time
                             * @description Last seen.
                             */
                            last_seen_at?: string | null;
                            /** @description Recurrence key. */
                            recurrence_key: string;
                            /**
                             * Format: date-time
                             * @description Resolved.
                             */
                            resolved_at?: string | null;
                            /** @description `low` | `medium` | `high` | `critical`. */
                            severity: string;
                            /** @description Status. */
                            status: string;
                            /**
                             * Format: int64
                             * @description Tenant id.
                             */
                            tenant_id: number;
                            /**
                             * Format: int32
                             * @description Times seen.
                             */
                            times_seen?: number | null;
                            /**
                             * Format: date-time
                             * @description Triaged.
                             */
                            triaged_at?: string | null;
                            /**
                             * Format: date-time
                             * @description Updated.
                             */
                            updated_at: string;
                        }[];
                        /**
                         * Format: int64
                         * @description This page's number.
                         */
                        page: number;
                        /**
                         * Format: int64
                         * @description The page size.
                         */
                        per_page: number;
                        /**
                         * Format: int64
                         * @description Items over all pages.
                         */
                        total: number;
                    };
                };
            };
            /** @description Not signed in: no session cookie, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such tenant in your workspace */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid id or pagination */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the customer API, or (login) too many failed attempts; retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
