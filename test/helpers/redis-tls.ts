import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A throwaway certificate authority, a server certificate for `localhost` and a client certificate, as files. */
export interface TestCertificates {
  dir: string
  ca: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  /** Reads one of the files. */
  pem: (file: string) => string
  dispose: () => void
}

/**
 * Makes a CA and two certificates with openssl in a temporary folder. The server certificate names only
 * `DNS:localhost`, so a client that connects to 127.0.0.1 must set the server name.
 * @returns the files
 */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'storefront-tls-'))
  const file = (name: string) => join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=storefront test CA', '-keyout', file('ca.key'), '-out', file('ca.crt'))
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n')
  writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n')
  for (const name of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name === 'server' ? 'localhost' : 'storefront'}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`))
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file(`${name}.ext`), '-out', file(`${name}.crt`))
  }
  return {
    dir,
    ca: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    pem: path => readFileSync(path, 'utf8'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  }
}
