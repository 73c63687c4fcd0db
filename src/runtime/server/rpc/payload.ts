import type { H3Event } from 'h3'
import { createError, getQuery, readRawBody } from 'h3'
import { requestHeader } from './headers'
import { cacheBody, hasCachedBody, nodeRequest } from '../internal/h3'

const JSON_TYPE = 'application/json'
const POLLUTING_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const POLLUTING_TEXT = /__proto__|constructor|prototype/
const dropPolluting = (key: string, value: unknown) => POLLUTING_KEYS.has(key) ? undefined : value

/** The deepest nesting of arrays and objects RPC params may have. */
export const MAX_JSON_DEPTH = 64

/**
 * Parses JSON with prototype-polluting keys (`__proto__`, `constructor`, `prototype`) stripped at every depth.
 * @param text JSON text
 * @returns the value
 * @throws a 400 for text that is not JSON, or that nests arrays and objects deeper than {@link MAX_JSON_DEPTH}
 */
export function parseJsonSafely(text: string): unknown {
  // A byte order mark before the text is allowed (RFC 8259 lets a parser ignore it), and is no part of the value.
  if (text.charCodeAt(0) === 0xFEFF) text = text.slice(1)
  // A value nested thousands deep would parse, then overflow the stack of whatever walks it (a validator, the
  // response's JSON.stringify): refused here, before any of that.
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw createError({ status: 400, message: `invalid JSON: arrays and objects nest deeper than ${MAX_JSON_DEPTH} levels` })
  }
  try {
    // Without a backslash every key is spelled out as it is, so a text that names none of those keys anywhere has
    // nothing to strip and is parsed without the (slow) reviver.
    return !text.includes('\\') && !POLLUTING_TEXT.test(text) ? JSON.parse(text) : JSON.parse(text, dropPolluting)
  }
  catch (error) {
    // Deeply nested input can overflow the parser's stack: still the client's fault, still a 400. The parser's message
    // quotes the body (a password, say): only where it failed is said.
    const at = /at position (\d+)/.exec((error as Error).message)?.[1]
    throw createError({ status: 400, message: at === undefined ? 'invalid JSON' : `invalid JSON at position ${at}` })
  }
}

/** Whether brackets outside strings nest deeper than `max`; a linear scan that stops at the first level too deep. */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    }
    else if (c === QUOTE) inString = true
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true
    }
    else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--
  }
  return false
}

const QUOTE = 34
const BACKSLASH = 92
const OPEN_ARRAY = 91
const CLOSE_ARRAY = 93
const OPEN_OBJECT = 123
const CLOSE_OBJECT = 125

/**
 * Reads the params of a GET call from `?payload=<json>`.
 * @param event the request
 * @returns the params, or undefined when there are none
 */
export function readQueryPayload(event: H3Event): unknown {
  const raw = getQuery(event).payload
  if (raw === undefined) return undefined
  if (typeof raw !== 'string') throw createError({ status: 400, message: 'payload must be given once, as JSON' })
  return parseJsonSafely(raw)
}

/**
 * Reads the params of a POST call from a JSON body `{ "payload": <params> }`. Only `application/json` is accepted,
 * which keeps cross-site form posts out, and the body may not pass `limit` bytes. When the whole body has arrived
 * already (a small call's usually has), the params come without a promise, so that the RPC route's way to the method
 * waits on nothing but the session. JSON never makes a Promise: a Promise answered is the body still arriving.
 * @param event the request
 * @param limit the largest body in bytes
 * @returns the params (undefined when there are none), or a promise of them while the body is still arriving
 * @throws a 415 for another content type, a 413 for a larger body, a 400 for a body that is not a JSON object
 * @example
 * const taken = takeBodyPayload(event, limit)
 * const payload = taken instanceof Promise ? await taken : taken
 */
export function takeBodyPayload(event: H3Event, limit: number): unknown {
  const header = requestHeader(event, 'content-type')
  const type = header === JSON_TYPE ? header : (header ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== JSON_TYPE) {
    throw createError({ status: 415, message: `content-type must be application/json, got ${JSON.stringify(type.slice(0, 64) || 'none')}` })
  }
  const body = takeBody(event, limit)
  return body instanceof Promise ? body.then(payloadOf) : payloadOf(body)
}

function payloadOf(body: Buffer | undefined): unknown {
  // `{}` is what useRpc sends for a call without params: the answer is known without decoding or parsing it.
  if (!body || body.length === 0 || isEmptyObject(body)) return undefined
  const parsed = parseJsonSafely(body.toString('utf8'))
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw createError({ status: 400, message: 'the body must be a JSON object { "payload": <params> }' })
  }
  return (parsed as { payload?: unknown }).payload
}

function isEmptyObject(body: Buffer): boolean {
  return body.length === 2 && body[0] === OPEN_OBJECT && body[1] === CLOSE_OBJECT
}

/**
 * Reads a request body of at most `limit` bytes.
 * @param event the request
 * @param limit the most bytes taken
 * @returns the body, or undefined when there is none
 * @throws a 413 for a larger body, as soon as it is known to be larger
 */
export async function readBodyBytes(event: H3Event, limit: number): Promise<Buffer | undefined> {
  return takeBody(event, limit)
}

/**
 * {@link readBodyBytes} without a promise when the whole body has arrived already.
 * @param event the request
 * @param limit the most bytes taken
 * @returns the body (undefined when there is none), or a promise of it while it is still arriving
 * @throws a 413 for a larger body, as soon as it is known to be larger
 */
function takeBody(event: H3Event, limit: number): Buffer | undefined | Promise<Buffer | undefined> {
  const declared = Number(requestHeader(event, 'content-length') ?? Number.NaN)
  if (declared > limit) {
    throw tooLarge(limit)
  }
  const arrived = Number.isNaN(declared) ? undefined : takeArrived(event, declared)
  if (!arrived) return readBodyAfterHead(event, limit, declared)
  if (arrived.length > limit) throw tooLarge(limit)
  return arrived
}

/** A body that has not (wholly) arrived: counted as it comes without Content-Length, through h3 with it. */
async function readBodyAfterHead(event: H3Event, limit: number, declared: number): Promise<Buffer | undefined> {
  const body = Number.isNaN(declared) ? await readStreamed(event, limit) : await readRawBody(event, false)
  if (body && body.length > limit) throw tooLarge(limit)
  return body
}

/**
 * The body, when all of it has arrived already: a small request usually comes in one packet with its headers, and
 * Node has buffered the body by the time the handler gets to it. It is taken from the buffer at once (no listeners,
 * no promise), and left on the event where h3's body readers look first.
 * @param event the request
 * @param declared its Content-Length
 * @returns the body, or undefined when it has to be read as it arrives
 */
function takeArrived(event: H3Event, declared: number): Buffer | undefined {
  const req = nodeRequest(event)
  // Content-Length bytes buffered are the whole body: the parser delivers no more, even before it marks the end.
  if (declared <= 0 || req.readableLength !== declared || req.readableFlowing || hasCachedBody(event)) {
    return undefined
  }
  const body = req.read() as Buffer | null
  if (body) cacheBody(event, body)
  return body ?? undefined
}

// A body without Content-Length (chunked) is counted as it arrives. Past the limit the 413 goes out at once while
// the rest of the upload is read and discarded, so the client receives the answer and the connection stays usable;
// closing the socket under a client that is still sending would reset the connection and lose the answer. An upload
// that goes on far past the limit is cut off.
const DISCARD_AT_MOST = 1024 * 1024

function readStreamed(event: H3Event, limit: number): Promise<Buffer | undefined> {
  const req = nodeRequest(event)
  if ((req as { readableEnded?: boolean }).readableEnded || req.destroyed) {
    return readRawBody(event, false)
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let refused = false
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) {
        chunks.push(chunk)
        return
      }
      if (!refused) {
        refused = true
        chunks.length = 0
        reject(tooLarge(limit))
      }
      if (size > limit + DISCARD_AT_MOST) {
        req.off('data', onData)
        req.socket.destroy()
      }
    }
    req.on('data', onData)
    req.once('end', () => refused || resolve(Buffer.concat(chunks)))
    req.once('error', error => refused || reject(error))
  })
}

function tooLarge(limit: number) {
  return createError({ status: 413, message: `the body is larger than ${limit} bytes` })
}
