"""One function per use case. Services read through the store's repositories, apply the
domain's rules and write through the repositories; they know nothing of HTTP."""
