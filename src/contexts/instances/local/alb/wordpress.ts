import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface WordPressOptions {
  siteUrl: string;
  /** The platform's WordPress user and its application password (from the secret, as the task gets it). */
  username: string;
  appPassword: string | undefined;
}

export interface RunningWordPress {
  url: string;
  close(): Promise<void>;
}

/**
 * A tenant's WordPress as the platform talks to it: `/` and the REST API index (`/wp-json/`, or
 * `?rest_route=/`), and `wp/v2/users/me`, which needs the platform user's application password by Basic auth
 * (spaces in the password ignored, as WordPress does; a wrong or missing one is 401 rest_not_logged_in, as
 * WordPress 6.1 answers). Any other REST route is rest_no_route.
 */
export async function startWordPress(options: WordPressOptions): Promise<RunningWordPress> {
  const server = createServer((req, res) => answer(options, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Reply = [status: number, type: string, body: string];
const json = (status: number, body: unknown): Reply => [
  status,
  'application/json; charset=UTF-8',
  JSON.stringify(body),
];

function answer(options: WordPressOptions, req: IncomingMessage, res: ServerResponse): void {
  const [status, type, body] = reply(options, req);
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

function reply(options: WordPressOptions, req: IncomingMessage): Reply {
  const url = new URL(req.url ?? '/', 'http://wordpress');
  const route =
    url.searchParams.get('rest_route') ??
    (url.pathname === '/wp-json' ? '/' : /^\/wp-json(\/.*)$/.exec(url.pathname)?.[1]);
  if (route === undefined)
    return url.pathname === '/' ? [200, 'text/html', home(options)] : [404, 'text/html', 'Page not found'];
  const path = route.replace(/\/+$/, '') || '/';
  if (path === '/') return json(200, index(options));
  if (path !== '/wp/v2/users/me')
    return json(404, {
      code: 'rest_no_route',
      message: 'No route was found matching the URL and request method.',
      data: { status: 404 },
    });
  if (!authenticated(options, req.headers.authorization))
    return json(401, {
      code: 'rest_not_logged_in',
      message: 'You are not currently logged in.',
      data: { status: 401 },
    });
  const user = options.username;
  return json(200, {
    id: 1,
    name: user,
    url: '',
    description: '',
    link: `${options.siteUrl}/author/${user}/`,
    slug: user,
    avatar_urls: {},
    meta: [],
  });
}

const home = (options: WordPressOptions) =>
  `<!doctype html><html><head><meta name="generator" content="WordPress 6.1.9"><title>BBWS site</title></head><body><a href="${options.siteUrl}">${options.siteUrl}</a></body></html>\n`;

const index = (options: WordPressOptions) => ({
  name: 'BBWS site',
  description: '',
  url: options.siteUrl,
  home: options.siteUrl,
  gmt_offset: 0,
  timezone_string: '',
  namespaces: ['oembed/1.0', 'wp/v2', 'wp-site-health/v1', 'bbws/v1'],
  authentication: {
    'application-passwords': {
      endpoints: { authorization: `${options.siteUrl}/wp-admin/authorize-application.php` },
    },
  },
  routes: {},
});

function authenticated(options: WordPressOptions, header: string | undefined): boolean {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match || options.appPassword === undefined) return false;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const given = Buffer.from(decoded.slice(colon + 1).replace(/\s/g, ''));
  const expected = Buffer.from(options.appPassword);
  return (
    decoded.slice(0, colon) === options.username &&
    given.length === expected.length &&
    timingSafeEqual(given, expected)
  );
}
