"""The outbound queue (contract §9): every message the bot says goes through Redis (arq) to the
worker, which sends it under shared rate limits, retries 0 s → 5 s → 30 s and files what could
not be delivered in ``dead_letter_messages``.

- ``outbox``: ``ArqOutbox``, the ``Outbox`` port that enqueues one job per message;
- ``delivery``: what to do after one attempt (pure) and the Redis ledger that makes a message
  go out once;
- ``rate_limit``: per-channel limits shared by every worker process;
- ``dead_letters``: the dead-letter table and the admin alert;
- ``jobs``: the arq job ``send_outbound`` and the worker's dependencies.
"""
