/** The request facts policies can test (aws:SourceIp, aws:SecureTransport, the user agent). */
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestInfo } from '../operations/context.ts';

export function requestInfo(req: { headers: IncomingHttpHeaders; sourceIp: string; secureTransport: boolean }): RequestInfo {
  const ua = req.headers['user-agent'];
  return {
    sourceIp: req.sourceIp.startsWith('::ffff:') ? req.sourceIp.slice(7) : req.sourceIp,
    userAgent: (Array.isArray(ua) ? ua[0] : ua) ?? '',
    // Coffer's own TLS (COFFER_TLS_CERT) only: a proxy terminating TLS in front of plain HTTP is not seen.
    secureTransport: req.secureTransport,
  };
}
