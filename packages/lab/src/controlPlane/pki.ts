import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { must } from '../exec.js';

// Per-lab certificates, made fresh for every lab with openssl (Debian ships it; one EC P-256 key each, fast):
// a CA, the API server's serving certificate, client certificates for the admin (system:masters) and the
// controller manager and kube-proxy, and the service-account signing key pair. Valid for a week: labs live for minutes.

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  cmCert: string;
  cmKey: string;
  /** CN system:kube-proxy: the user the API server's bootstrap binding system:node-proxier grants what kube-proxy needs. */
  proxyCert: string;
  proxyKey: string;
  saKey: string;
  saPub: string;
}

const DAYS = '7';

function opensslConfig(address: string, serviceIP: string): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    '[ca]',
    'basicConstraints = critical,CA:TRUE',
    'keyUsage = critical,keyCertSign,cRLSign,digitalSignature',
    'subjectKeyIdentifier = hash',
    '[server]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage = serverAuth',
    'subjectAltName = @alt',
    '[client]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage = clientAuth',
    '[alt]',
    // The cp address (clients on the underlay), the `kubernetes` service's ClusterIP (pods), and loopback.
    `IP.1 = ${address}`,
    `IP.2 = ${serviceIP}`,
    'IP.3 = 127.0.0.1',
    'DNS.1 = kubernetes',
    'DNS.2 = kubernetes.default',
    'DNS.3 = kubernetes.default.svc',
    'DNS.4 = kubernetes.default.svc.cluster.local',
    'DNS.5 = localhost',
    '',
  ].join('\n');
}

const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function leaf(dir: string, cnf: string, name: string, subject: string, ext: 'server' | 'client'): Promise<[string, string]> {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const crt = path.join(dir, `${name}.crt`);
  await must('openssl', ['req', '-new', '-config', cnf, ...keyArgs, '-keyout', key, '-out', csr, '-subj', subject]);
  await must('openssl', [
    'x509', '-req', '-in', csr, '-CA', path.join(dir, 'ca.crt'), '-CAkey', path.join(dir, 'ca.key'),
    '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', DAYS, '-extfile', cnf, '-extensions', ext, '-out', crt,
  ]);
  return [crt, key];
}

export async function makePki(dir: string, opts: { prefix: string; address: string; serviceIP: string }): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cnf = path.join(dir, 'openssl.cnf');
  writeFileSync(cnf, opensslConfig(opts.address, opts.serviceIP));
  await must('openssl', [
    'req', '-x509', '-new', '-config', cnf, '-extensions', 'ca', ...keyArgs, '-days', DAYS,
    '-keyout', path.join(dir, 'ca.key'), '-out', path.join(dir, 'ca.crt'), '-subj', `/CN=patchbay-lab-${opts.prefix}-ca`,
  ]);
  const [[serverCert, serverKey], [adminCert, adminKey], [cmCert, cmKey], [proxyCert, proxyKey]] = await Promise.all([
    leaf(dir, cnf, 'apiserver', '/CN=kube-apiserver', 'server'),
    leaf(dir, cnf, 'admin', '/O=system:masters/CN=patchbay-lab-admin', 'client'),
    leaf(dir, cnf, 'controller-manager', '/CN=system:kube-controller-manager', 'client'),
    leaf(dir, cnf, 'kube-proxy', '/CN=system:kube-proxy', 'client'),
  ]);
  // Service-account tokens are signed with this key (the controller manager's token controller and the API
  // server's TokenRequest) and verified with its public half.
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const saKey = path.join(dir, 'sa.key');
  const saPub = path.join(dir, 'sa.pub');
  writeFileSync(saKey, sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(saPub, sa.publicKey.export({ type: 'spki', format: 'pem' }));
  return { dir, caCert: path.join(dir, 'ca.crt'), caKey: path.join(dir, 'ca.key'), serverCert, serverKey, adminCert, adminKey, cmCert, cmKey, proxyCert, proxyKey, saKey, saPub };
}

/** A kubeconfig with the CA and the client certificate embedded, so it still works when copied elsewhere. */
export function writeKubeconfig(file: string, o: { server: string; caCert: string; cert: string; key: string; user: string }): void {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  const cfg = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'patchbay-lab', cluster: { server: o.server, 'certificate-authority-data': b64(o.caCert) } }],
    users: [{ name: o.user, user: { 'client-certificate-data': b64(o.cert), 'client-key-data': b64(o.key) } }],
    contexts: [{ name: 'patchbay-lab', context: { cluster: 'patchbay-lab', user: o.user } }],
    'current-context': 'patchbay-lab',
  };
  // JSON is YAML: kubectl and client-go read it as is.
  writeFileSync(file, `${JSON.stringify(cfg, null, 1)}\n`, { mode: 0o600 });
}
