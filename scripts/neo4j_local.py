#!/usr/bin/env python3
"""Run a real Neo4j Community 5.26 server on a loopback port, for development, tests and
benchmarks, with nothing but Java 17 and Maven.

    python scripts/neo4j_local.py start     # fetch the jars once, start, wait for Bolt
    python scripts/neo4j_local.py status
    python scripts/neo4j_local.py stop

Maven fetches the newest 5.26 patch of ``org.neo4j:neo4j`` from Maven Central into
``scripts/neo4j/target/lib`` (never committed: GPLv3). ``Neo4jServer.java`` starts the
embedded DatabaseManagementService with its Bolt connector; it runs in Java's
single-file source mode, so there is nothing to build. ``start`` is idempotent: a server
that already answers is reused. State lives in ``.neo4j/`` (or ``MENTORGRAPH_NEO4J_HOME``).
Standard library only, so it runs before the project is installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEO4J_DIR = ROOT / "scripts" / "neo4j"
LIB_DIR = NEO4J_DIR / "target" / "lib"
DEFAULT_PORT = 17687
CONF = """\
server.config.strict_validation.enabled=false
dbms.usage_report.enabled=false
server.memory.pagecache.size={pagecache}
db.tx_log.rotation.retention_policy=1 files
db.logs.query.enabled=OFF
"""
# The JVM options Neo4j's own neo4j.conf passes; without the --add-opens the vector
# index population is reported to stall.
JVM_OPTIONS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
]


def home() -> Path:
    return Path(os.environ.get("MENTORGRAPH_NEO4J_HOME", ROOT / ".neo4j"))


def fetch() -> None:
    """Download the Neo4j jars with Maven unless they are already there."""
    if list(LIB_DIR.glob("neo4j-5.26.*.jar")):
        return
    if shutil.which("mvn") is None:
        sys.exit("neo4j_local: Maven (mvn) is needed to fetch Neo4j; install it (apt-get install maven)")
    print("neo4j_local: fetching Neo4j 5.26 jars with Maven (once)...", file=sys.stderr, flush=True)
    subprocess.run(["mvn", "-q", "-B", "-f", str(NEO4J_DIR / "pom.xml"), "package"], check=True)


def answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def running_pid() -> int | None:
    pid_file = home() / "server.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().strip() or 0)
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return None
    return pid


def start(*, port: int, heap: str, pagecache: str, timeout: float) -> str:
    uri = f"bolt://127.0.0.1:{port}"
    if running_pid() is not None and answers(port):
        return uri
    fetch()
    state = home()
    (state / "data").mkdir(parents=True, exist_ok=True)
    (state / "data" / "neo4j.conf").write_text(CONF.format(pagecache=pagecache))
    log_path = state / "server.log"
    java = shutil.which("java") or sys.exit("neo4j_local: Java 17 is needed (java not found)")
    command = [
        java, f"-Xmx{heap}", *JVM_OPTIONS, "-cp", f"{LIB_DIR}/*",
        str(NEO4J_DIR / "Neo4jServer.java"), str(state / "data"), str(port),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (state / "server.pid").write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-4000:]
            sys.exit(f"neo4j_local: Neo4j exited with code {process.returncode}; log {log_path}:\n{tail}")
        if b"READY" in log_path.read_bytes() and answers(port):
            return uri
        time.sleep(0.3)
    stop()
    sys.exit(f"neo4j_local: Neo4j did not answer on port {port} within {timeout:.0f} s; see {log_path}")


def stop() -> None:
    pid = running_pid()
    if pid is None:
        return
    os.killpg(pid, signal.SIGTERM)
    for _ in range(600):
        if running_pid() is None:
            break
        time.sleep(0.1)
    else:
        os.killpg(pid, signal.SIGKILL)
    (home() / "server.pid").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fetch", "start", "stop", "status", "wipe"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("MENTORGRAPH_NEO4J_PORT", DEFAULT_PORT)))
    parser.add_argument("--heap", default=os.environ.get("MENTORGRAPH_NEO4J_HEAP", "3g"))
    parser.add_argument("--pagecache", default=os.environ.get("MENTORGRAPH_NEO4J_PAGECACHE", "1g"))
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    if args.command == "fetch":
        fetch()
    elif args.command == "start":
        print(start(port=args.port, heap=args.heap, pagecache=args.pagecache, timeout=args.timeout))
    elif args.command == "stop":
        stop()
    elif args.command == "wipe":
        stop()
        shutil.rmtree(home() / "data", ignore_errors=True)
    else:
        pid = running_pid()
        up = pid is not None and answers(args.port)
        print(f"running pid {pid} bolt://127.0.0.1:{args.port}" if up else "stopped")
        sys.exit(0 if up else 3)


if __name__ == "__main__":
    main()
