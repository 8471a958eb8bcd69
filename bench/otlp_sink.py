#!/usr/bin/env python3
"""A tiny OTLP/HTTP trace receiver for `make bench` with traces on (docs/spec.md §20).

It accepts `POST /v1/traces` (protobuf bodies, keep-alive connections), answers 200 with an
empty `ExportTraceServiceResponse`, and counts the spans it received, walking the protobuf
wire format by hand (no packages needed). Nothing is stored; the count is printed every
10 seconds and on exit (Ctrl-C or SIGTERM).

    python3 bench/otlp_sink.py [PORT]          # default 4318, on 127.0.0.1 only
    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 make bench    # traces on
    make bench                                                      # traces off

`bench/RESULTS.md` says which it was and how many spans the bench process dropped.
"""

import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SPANS = 0
REQUESTS = 0
LOCK = threading.Lock()


def varint(data, i):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def fields(data):
    """(field number, bytes) of every length-delimited field of a message; others skipped."""
    i = 0
    while i < len(data):
        key, i = varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, i = varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            length, i = varint(data, i)
            yield number, data[i : i + length]
            i += length
        else:
            raise ValueError(f"unsupported wire type {wire}")


def count_spans(body):
    # ExportTraceServiceRequest.resource_spans = 1; ResourceSpans.scope_spans = 2;
    # ScopeSpans.spans = 2.
    return sum(
        1
        for n, resource_spans in fields(body)
        if n == 1
        for m, scope_spans in fields(resource_spans)
        if m == 2
        for k, _ in fields(scope_spans)
        if k == 2
    )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global SPANS, REQUESTS
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/v1/traces":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            spans = count_spans(body)
        except (ValueError, IndexError):
            spans = 0
        with LOCK:
            SPANS += spans
            REQUESTS += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def report():
    with LOCK:
        print(f"otlp_sink: {SPANS} spans in {REQUESTS} exports", flush=True)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4318
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)

    def every_ten_seconds():
        while True:
            time.sleep(10)
            report()

    threading.Thread(target=every_ten_seconds, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: (report(), sys.exit(0)))
    print(f"otlp_sink: listening on http://127.0.0.1:{port}/v1/traces", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    report()


if __name__ == "__main__":
    main()
