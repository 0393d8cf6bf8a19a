"""`face-conformance serve`: the reference service (or a zoo variant) as a real HTTP server."""

from __future__ import annotations

import argparse

from face_conformance.reference import ReferenceConfig, ReferenceService, serve


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
