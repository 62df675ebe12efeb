// fast-check generators of hostile request paths, shared by the normaliser's unit tests and the
// real-nginx property test: dot segments (raw and encoded, mixed case), repeated slashes, encoded
// separators, backslashes, encoded unreserved characters, other escapes, malformed escapes, raw
// characters that must be encoded (space, "#", non-ASCII, controls), servlet-style ";" segments.
import * as fc from "fast-check";

/** Pieces that are interesting on their own or next to "/". */
export const HOSTILE_TOKENS = [
    "/", "//", "///", ".", "..", "...", "%2e", "%2E", "%2e%2e", ".%2E", "%2E.", "%2e%2E",
    "%2F", "%2f", "..%2F", "%2F..", "\\", "%5C", "%5c", "..\\", "%00", "%0a", "%01", "%7F",
    "%41", "%61", "%7e", "%7E", "%2D", "%5F", "%5f", "%30", "%6Edmin",
    "%20", "%3F", "%3f", "%23", "%25", "%252e", "%252F", "%3B", "%C3%A9", "%c3%a9", "%E2%80%AE",
    "%", "%4", "%zz", "%G1",
    "é", "\u00ff", "\u0001", "\u007f", " ", "#", "\"", "<", "|", "{", "^", "`", "[", "]",
    ";", "..;", ";x=1", ":", "@", "+", "!", "$", "&", "'", "(", "*", ",", "=", "~", "-", "_",
] as const;

const WORDS = ["x", "a", "b", "admin", "re", "rw", "redir", "m", "X", "A"] as const;

/** A path (no query) starting with "/", built from hostile tokens and ordinary segment words. */
export function hostilePath(): fc.Arbitrary<string> {
    const piece = fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_TOKENS) },
        { weight: 3, arbitrary: fc.constantFrom(...WORDS) },
        { weight: 2, arbitrary: fc.constant("/") },
        { weight: 1, arbitrary: fc.constantFrom("/..", "/../", "/%2e%2e/", "/.%2e", "/..;", "/.;", "/%2e%2E;") },
        { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(..."abz09.-_~/%AFaf"), maxLength: 6 }) },
    );
    return fc.array(piece, { maxLength: 10 }).map(parts => "/" + parts.join(""));
}

/** A query string (possibly empty) that must reach the backend untouched, hostile bytes included. */
export function hostileQuery(): fc.Arbitrary<string> {
    return fc.oneof(
        { weight: 3, arbitrary: fc.constant("") },
        { weight: 1, arbitrary: fc.constantFrom("?", "?q=1", "?a=%2F..%2F&b=//x", "?x=/../y&z=%41", "?p=%00") },
    );
}
