"""Read a queue through a seamline reader, report what was read, then wait to be killed.

Used by the crash tests: the parent kills this process (SIGKILL) after the batches
were read but before commit(), so nothing may have been acknowledged.

Usage: python queue_crash_reader.py amqp URL QUEUE [DEAD_LETTER_QUEUE]
       python queue_crash_reader.py nats URL STREAM SUBJECT DURABLE [DEAD_LETTER_SUBJECT]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from seamline.sources.base import ReadContext, Reader


def make_reader(argv: list[str]) -> Reader:
    ctx = ReadContext(base_dir=Path.cwd(), dataset="crash", batch_size=25)
    if argv[0] == "amqp":
        from seamline.sources.amqp import AmqpOptions, AmqpReader

        dead = argv[3] if len(argv) > 3 else None
        opts = AmqpOptions(
            kind="amqp", url=argv[1], queue=argv[2], idle_timeout=0.5, dead_letter=dead
        )
        return AmqpReader(opts, ctx)
    from seamline.sources.nats import NatsOptions, NatsReader

    nopts = NatsOptions(
        kind="nats",
        url=argv[1],
        stream=argv[2],
        subject=argv[3],
        durable=argv[4],
        idle_timeout=0.5,
        dead_letter_subject=argv[5] if len(argv) > 5 else None,
    )
    return NatsReader(nopts, ctx)


def main() -> None:
    reader = make_reader(sys.argv[1:])
    read = sum(batch.read for batch in reader.batches())
    print(f"READ {read}", flush=True)
    time.sleep(60)  # killed here, before commit()


if __name__ == "__main__":
    main()
