import { describe, expect, it } from 'vitest';
import { isSecretKey, MAX_DEPTH, REDACTED, redactSecrets } from './cniSecrets.js';

describe('CNI secret redaction rules', () => {
  it('redacts by field name, whatever the spelling, and keeps fields that name a file', () => {
    for (const k of ['token', 'k8s_auth_token', 'k8sAuthToken', 'password', 'etcd_key', 'etcd_cert', 'etcd_ca_cert', 'client-key-data', 'client-certificate-data', 'certificate-authority-data', 'privateKey', 'presharedKey', 'apiKey', 'secret', 'auth', 'credentials']) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of ['type', 'name', 'kubeconfig', 'k8s_api_root', 'etcd_endpoints', 'ipam', 'mtu', 'hairpinMode', 'capabilities', 'subnet', 'delegate']) {
      expect(isSecretKey(k), k).toBe(false);
    }
    expect(redactSecrets({ etcd_key_file: '/etc/tls/key', tokenFile: '/run/token', token: 'abc', tokenRequired: true, password: null })).toEqual({
      etcd_key_file: '/etc/tls/key',
      tokenFile: '/run/token',
      token: REDACTED,
      tokenRequired: true,
      password: null,
    });
  });

  it('redacts by value under any name: PEM blocks, base64 PEM, JWTs, URLs with a password', () => {
    const doc = {
      note: '-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----',
      blob: Buffer.from('-----BEGIN CERTIFICATE-----\nx').toString('base64'),
      header: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig',
      etcd_endpoints: 'https://root:hunter2@192.0.2.1:2379,https://192.0.2.2:2379',
      list: ['plain', 'https://192.0.2.1:2379'],
      etcd_key_file: '-----BEGIN EC PRIVATE KEY-----',
    };
    expect(redactSecrets(doc)).toEqual({
      note: REDACTED,
      blob: REDACTED,
      header: REDACTED,
      etcd_endpoints: REDACTED,
      list: ['plain', 'https://192.0.2.1:2379'],
      etcd_key_file: REDACTED,
    });
  });

  it('replaces a secret object or array whole, and refuses documents nested absurdly deep', () => {
    expect(redactSecrets({ secret: { a: 1 }, keys: ['k1', 'k2'] })).toEqual({ secret: REDACTED, keys: REDACTED });
    let deep: unknown = 'x';
    for (let i = 0; i < MAX_DEPTH + 5; i++) deep = [deep];
    expect(() => redactSecrets(deep)).toThrow('nested deeper than 64 levels');
  });
});
