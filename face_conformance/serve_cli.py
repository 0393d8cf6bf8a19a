"""`face-conformance serve`: the reference service (or a zoo variant) as a real HTTP server."""

from __future__ import annotations

import argparse

from face_conformance.reference import ReferenceConfig, ReferenceService, serve


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The serve options: where to listen, the key, and the reference's switches."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--key", default="reference-key", help="the subscription key the server accepts")
    parser.add_argument("--training-seconds", type=float, default=1.0)
    parser.add_argument("--write-hold-seconds", type=float, default=0.05)
    parser.add_argument("--rate-limit-every", type=int, help="every Nth request gets one 429")
    parser.add_argument("--retry-after", action="store_true", help="429s carry a Retry-After header")
    parser.add_argument("--rate-limit-wait", type=int, default=1, help="seconds a 429 announces")
    parser.add_argument("--quota-after", type=int, help="from the Nth request on, every answer is 403 quota")
    parser.add_argument("--seed", type=int, help="seed for the GUIDs the server hands out")
    parser.add_argument("--variant", help="serve a zoo variant instead of the reference")
    parser.add_argument("--list-variants", action="store_true", help="list the zoo's variants and exit")
    parser.add_argument("--log-level", default="warning")


def config_from_args(args: argparse.Namespace) -> ReferenceConfig:
    """The reference's switches from the serve options (a bad value raises ValueError)."""
    return ReferenceConfig(
        key=args.key, training_seconds=args.training_seconds, write_hold_seconds=args.write_hold_seconds,
        rate_limit_every=args.rate_limit_every, rate_limit_retry_after=args.retry_after,
        rate_limit_wait_seconds=args.rate_limit_wait, quota_after=args.quota_after, seed=args.seed,
    )


def list_variants() -> int:
    """Print every zoo variant: kind, name, the row it breaks, what it does."""
    from face_conformance.zoo import VARIANTS, variant_names

    names = variant_names()
    for kind in ("broken", "conformant", "hostile"):
        chosen = [VARIANTS[n] for n in names if VARIANTS[n].kind == kind]
        print(f"{kind} ({len(chosen)}):")
        for v in chosen:
            print(f"  {v.name:34} {v.row or '-':24} {v.description}")
    return 0


def serve_from_args(args: argparse.Namespace) -> int:
    """Serve until interrupted; a bad switch or unknown variant is a usage error."""
    from face_conformance.config.settings import UsageError

    if args.list_variants:
        return list_variants()
    try:
        config = config_from_args(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    service = ReferenceService(config)
    if args.variant:
        from face_conformance.zoo import VARIANTS, variant_names

        if args.variant not in variant_names():
            raise UsageError(f"unknown variant {args.variant!r}; see --list-variants")
        service = VARIANTS[args.variant].build(config)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535 (got {args.port})")
    _check_can_listen(args.host, args.port)
    where = f"http://{args.host}:{args.port}"
    print(f"face-conformance serve: {args.variant or 'reference'} on {where} (key: ***)", flush=True)
    try:
        serve(args.host, args.port, service, log_level=args.log_level)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0


def _check_can_listen(host: str, port: int) -> None:
    """Bind (and release) the address first: uvicorn logs a bind failure and exits 1 by itself."""
    import socket

    from face_conformance.config.settings import UsageError

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError as exc:  # socket.gaierror too
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
