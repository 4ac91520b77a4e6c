#!/usr/bin/env python3
"""A TCP proxy that adds a fixed latency to every request (benchmarks only).

    latency_proxy.py serve --upstream HOST:PORT [--listen HOST:PORT]
                           [--delay-ms MS] [--port-file FILE] [--stats-file FILE]
    latency_proxy.py probe URL [--count N]

serve: every chunk read from a client is held for --delay-ms before it is
forwarded upstream; bytes are passed unchanged both ways (so a SigV4 Host
header signed for the proxy's host:port reaches the server as signed). An
HTTP request without a body (GET/HEAD of a listing) is one chunk, so each
request pays the delay once, on keep-alive connections too. Chunks of one
connection keep their order. The port actually bound (--listen port 0 picks
a free one) is written to --port-file once the proxy accepts connections.
SIGUSR1 writes "<n> <connections> <chunks>" to --stats-file (n counts the
SIGUSR1s). SIGTERM/SIGINT stop it; on exit it prints how many connections
and chunks it forwarded.

probe: median wall time in ms of --count unsigned GET requests to URL on one
keep-alive connection (any HTTP status counts), to check the added latency.
"""

import argparse
import asyncio
import http.client
import os
import signal
import statistics
import sys
import time
import urllib.parse

BUFFER = 64 * 1024


class Stats:
    connections = 0
    chunks = 0
    dumps = 0

    def dump(self, path):
        # "<dump number> <connections> <chunks>": the number tells a reader
        # which SIGUSR1 this answers.
        self.dumps += 1
        with open(path + ".tmp", "w") as f:
            f.write(f"{self.dumps} {self.connections} {self.chunks}\n")
        os.replace(path + ".tmp", path)


async def pump(reader, writer, delay, stats=None):
    try:
        while True:
            data = await reader.read(BUFFER)
            if not data:
                break
            if delay > 0:
                await asyncio.sleep(delay)
            if stats is not None:
                stats.chunks += 1
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError, OSError):
        pass
    finally:
        try:
            if writer.can_write_eof():
                writer.write_eof()
        except (OSError, RuntimeError):
            pass


async def handle(client_reader, client_writer, upstream, delay, stats):
    stats.connections += 1
    host, port = upstream
    try:
        up_reader, up_writer = await asyncio.open_connection(host, port)
    except OSError as e:
        print(f"latency_proxy: cannot connect to {host}:{port}: {e}", file=sys.stderr)
        client_writer.close()
        return
    await asyncio.gather(
        pump(client_reader, up_writer, delay, stats),
        pump(up_reader, client_writer, 0.0),
    )
    for w in (up_writer, client_writer):
        try:
            w.close()
            await w.wait_closed()
        except (OSError, ConnectionError):
            pass


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return host or "127.0.0.1", int(port)


async def serve(args):
    stats = Stats()
    upstream = split_hostport(args.upstream)
    listen_host, listen_port = split_hostport(args.listen)
    delay = args.delay_ms / 1000.0
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, upstream, delay, stats), listen_host, listen_port, backlog=1024
    )
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.stats_file:
        loop.add_signal_handler(signal.SIGUSR1, stats.dump, args.stats_file)
    async with server:
        await stop.wait()
    print(f"latency_proxy: {stats.connections} connections, {stats.chunks} requests (chunks) delayed", file=sys.stderr)


def probe(args):
    u = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=10)
    times = []
    for _ in range(args.count):
        t0 = time.perf_counter()
        conn.request("GET", u.path or "/")
        conn.getresponse().read()
        times.append((time.perf_counter() - t0) * 1000.0)
    conn.close()
    print(f"{statistics.median(times):.1f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--upstream", required=True)
    s.add_argument("--listen", default="127.0.0.1:0")
    s.add_argument("--delay-ms", type=float, default=20.0)
    s.add_argument("--port-file")
    s.add_argument("--stats-file")
    q = sub.add_parser("probe")
    q.add_argument("url")
    q.add_argument("--count", type=int, default=9)
    args = p.parse_args()
    if args.cmd == "serve":
        asyncio.run(serve(args))
    else:
        probe(args)


if __name__ == "__main__":
    main()
