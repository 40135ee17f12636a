"""The us-ui scenario: a state unemployment-insurance program, seeded, with ground truth.

Four systems hold the same invented people: the claims master on a mainframe (EBCDIC
extract and copybook), employers' quarterly wage reports (fixed-width), the
motor-vehicle agency's identity file (NDJSON) and the bank's benefit payments (CSV).
"""

from seamline.demo.usui.generate import write_usui

__all__ = ["write_usui"]
