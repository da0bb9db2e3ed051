"""What a message to a client may say, as pure checks: shared by the policy enforcer (which
stops an LLM's candidate reply) and ``dancebot eval``'s invariants (which judge every reply)."""
