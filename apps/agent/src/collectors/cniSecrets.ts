// Secret redaction for CNI configuration files before they leave the node (issue 25). CNI configs are JSON that
// plugins extend freely, so the rules go by what a field is called and by what a value looks like, not by a list
// of known plugins. The README ("CNI files: what is shipped") lists the rules and why; keep the two in step.

export const REDACTED = '<redacted by patchbay-agent>';

/** Deeper than this, a config is not walked (nor shipped): no real CNI config nests more than a few levels. */
export const MAX_DEPTH = 64;

/** Lower case, letters and digits only: `k8s_auth_token`, `k8sAuthToken` and `K8S-AUTH-TOKEN` are one name. */
function normalise(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

// Names that hold a path, not the secret itself (etcd_key_file, tokenFile, kubeconfig paths): kept, because a
// path says how the plugin is set up and gives nothing away.
const PATH_SUFFIXES = ['file', 'files', 'path', 'paths', 'dir'];

// Any name containing one of these holds a secret (or may).
const SECRET_PARTS = ['token', 'password', 'passwd', 'passphrase', 'secret', 'credential', 'privatekey', 'apikey', 'keydata', 'certdata', 'certificatedata'];
// Exact names: docker-style `auth` (base64 user:password), HTTP `authorization`, `bearer`, a bare `key`/`cert`.
const SECRET_NAMES = new Set(['auth', 'authorization', 'bearer', 'psk', 'key', 'cert', 'ca']);
// Names ending so hold inline key or certificate material: etcd_key, etcd_cert, etcd_ca_cert, tls_key,
// presharedKey, certificate-authority-data (the `*data` forms are covered by the parts above, except this one).
const SECRET_SUFFIXES = ['key', 'keys', 'cert', 'certs', 'certificate', 'certificates', 'authoritydata'];

/** Whether a field of this name holds a secret (unless it names a file, see isPathKey). */
export function isSecretKey(key: string): boolean {
  const k = normalise(key);
  return SECRET_NAMES.has(k) || SECRET_PARTS.some((p) => k.includes(p)) || SECRET_SUFFIXES.some((s) => k.endsWith(s));
}

export function isPathKey(key: string): boolean {
  const k = normalise(key);
  return PATH_SUFFIXES.some((s) => k.endsWith(s));
}

// Values that are secret wherever they appear: PEM blocks, the same base64-encoded (kubeconfig `*-data`), JWTs
// (ServiceAccount tokens), and URLs with a user:password part (an etcd endpoint may carry one).
const PEM = /-----BEGIN [A-Z0-9 ]+-----/;
const PEM_BASE64 = /LS0tLS1CRUdJTi/;
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\./;
const URL_USERINFO = /[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i;

export function isSecretValue(value: string): boolean {
  return PEM.test(value) || PEM_BASE64.test(value) || JWT.test(value) || URL_USERINFO.test(value);
}

export class TooDeepError extends Error {}

/** A copy of a parsed JSON document with every secret value replaced by REDACTED. */
export function redactSecrets(doc: unknown): unknown {
  const walk = (v: unknown, depth: number): unknown => {
    // No path in the message: key names come from the file.
    if (depth > MAX_DEPTH) throw new TooDeepError(`nested deeper than ${MAX_DEPTH} levels`);
    if (typeof v === 'string') {
      return isSecretValue(v) ? REDACTED : v;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      // true/false and null say only whether something is set; a path names a file, not its content.
      const keep = x === null || typeof x === 'boolean' || (isPathKey(k) && (typeof x === 'string' || Array.isArray(x)));
      out[k] = isSecretKey(k) && !keep ? REDACTED : walk(x, depth + 1);
    }
    return out;
  };
  return walk(doc, 0);
}
