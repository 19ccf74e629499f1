#!/usr/bin/env python3
"""Regenerates Fuzz/corpus/: each seed is 4 control bytes (see HTTP1Fuzzer.swift) + a payload.

The control bytes are printable so the files stay readable. Run from anywhere:
    python3 Fuzz/make_corpus.py
"""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

# Control prefixes: default limits, one piece; a few splits; byte by byte; no EOF; small limits.
PREFIXES = ["0 00", "03a0", "08b~", "0\x10c0", "Z3dK", "U5e~", "*1f0", "j2g~"]

SEEDS = {
    # valid requests of many shapes
    "get_minimal": b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "get_headers": b"GET /path/to?x=1&y=2 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: fuzz/1.0\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\nX-Empty:\r\n\r\n",
    "get_leading_crlf": b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "get_connection_close": b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n",
    "head": b"HEAD /plaintext HTTP/1.1\r\nHost: a\r\n\r\n",
    "options_star": b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    "connect_authority": b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    "absolute_form": b"GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "post_content_length": b"POST /send-notification/ada@example.com HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nhello, world!",
    "post_cl_zero": b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
    "post_cl_list": b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
    "post_json": b'POST /items HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{"name":"x","price":1.5}',
    "chunked": b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    "chunked_ext_trailers": b'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext="v;1"\r\nhello\r\n1A ; big\r\nabcdefghijklmnopqrstuvwxyz\r\n0;end\r\nX-Sum: 42\r\nX-More: yes\r\n\r\n',
    "chunked_upper_hex": b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n00\r\n\r\n",
    "chunked_gzip_chunked": b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "pipelined": b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nHost: a\r\n\r\nPOST /4 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
    "pipelined_many": b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n" * 12,
    "expect_continue": b"PUT /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ndata",
    "expect_continue_chunked": b"PUT /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n0\r\n\r\n",
    "expect_continue_no_body": b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
    "http10": b"GET / HTTP/1.0\r\n\r\n",
    "http10_keepalive": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
    "http10_post": b"POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nabcde",
    "http12": b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
    "obs_text_value": b"GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9 \xff\xfe\r\n\r\n",
    "tab_in_value": b"GET / HTTP/1.1\r\nHost: a\r\nX-A:\tvalue\twith\ttabs\t\r\n\r\n",
    "many_headers": b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-H%d: %d\r\n" % (i, i) for i in range(30)) + b"\r\n",
    "long_target": b"GET /" + b"a" * 300 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
    # known-bad and smuggling vectors
    "bad_cl_te": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bad_te_cl": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
    "bad_te_twice_chunked": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bad_te_chunked_chunked_list": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
    "bad_te_chunked_not_last": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    "bad_te_xchunked": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
    "bad_te_space_chunked": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    "bad_te_empty": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n",
    "bad_te_http10": b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bad_double_cl": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    "bad_cl_plus": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +4\r\n\r\nabcd",
    "bad_cl_huge": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    "bad_cl_empty_element": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3,,3\r\n\r\nabc",
    "bad_obs_fold": b"GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n",
    "bad_obs_fold_te": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
    "bad_bare_lf": b"GET / HTTP/1.1\nHost: a\n\n",
    "bad_bare_lf_header": b"GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",
    "bad_bare_cr": b"GET / HTTP/1.1\rHost: a\r\n\r\n",
    "bad_cr_in_value": b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n",
    "bad_space_before_colon": b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "bad_nul_in_value": b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n",
    "bad_nul_in_target": b"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n",
    "bad_no_host": b"GET / HTTP/1.1\r\n\r\n",
    "bad_two_hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "bad_version": b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    "bad_version_lower": b"GET / http/1.1\r\nHost: a\r\n\r\n",
    "bad_double_space": b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
    "bad_chunk_size_huge": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nx\r\n0\r\n\r\n",
    "bad_chunk_size_overlimit": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nx\r\n0\r\n\r\n",
    "bad_chunk_negative": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n0\r\n\r\n",
    "bad_chunk_no_crlf": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
    "bad_chunk_bare_lf": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n",
    "bad_chunk_ext": b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a="unterminated\r\nabc\r\n0\r\n\r\n',
    "bad_trailer_fold": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n",
    "bad_smuggle_pipeline": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
    "bad_binary": bytes(range(256)),
    "bad_empty_lines": b"\r\n" * 12 + b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "bad_header_no_colon": b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
    "bad_header_name_utf8": b"GET / HTTP/1.1\r\nHost: a\r\nX-\xc3\xa9: 1\r\n\r\n",
    "partial_head": b"GET / HTTP/1.1\r\nHost: a\r\nX-Partial: yes",
    "partial_body": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly a bit",
    # crashers found by fuzzing, with their own control bytes (FuzzRegressionTests.swift)
    "crash_bare_lf_overlong_line": (b"U5e~", b"GET / HTTP/1.1\r\xff\xff\xff\xff\n\r\n"),
    "crash_unterminated_line_414_431": (b"\x0d\x0aCn", b"tL=-yente" + b"\xe9" * 89 + b"\x00\x00\xfb\x02c"),
}


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for index, (name, payload) in enumerate(sorted(SEEDS.items())):
        prefix = PREFIXES[index % len(PREFIXES)].encode("latin-1")
        if isinstance(payload, tuple):
            prefix, payload = payload
        assert len(prefix) == 4
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(prefix + payload)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
