"""Live: the one seam to a server (an httpx client over the network or respx), pacing, deadlines, set-up.

Rule: imports only `cases`, `evidence` and `config`; `target.py` also builds the reference or a zoo
variant for mock mode, the seam's other side.
"""
