"""Keyed pseudonyms for people and projects.

A pseudonym is HMAC-SHA256(key, "<platform>:<kind>:<native id>") truncated to 128 bits and
written as 32 hex characters. Without the key nobody can recompute it from a public id; with the
same key, crawls months apart give the same person the same pseudonym, which is what makes panel
statistics possible. The key comes from the OLM_PSEUDONYM_KEY environment variable (or the
Scrapy setting of the same name) and is never written to the store; run records keep only a key
fingerprint so that you can tell which runs share a key.

Users have one key space whatever their role, so an employer who also freelances has the same
pseudonym in ``jobs.employer_id`` and ``profiles.profile_id``.
"""

from __future__ import annotations

import hashlib
import hmac

from olmstats.errors import InputError

KEY_ENV = "OLM_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 16

USER = "user"
PROJECT = "project"


class Pseudonymiser:
    """Turns native ids into pseudonyms with one secret key."""

    __slots__ = ("_key",)

    def __init__(self, key: str | bytes) -> None:
        raw = key.encode() if isinstance(key, str) else key
        if len(raw) < MIN_KEY_LENGTH:
            raise InputError(
                f"{KEY_ENV} must be at least {MIN_KEY_LENGTH} characters "
                "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        self._key = raw

    def __call__(self, platform: str, kind: str, native_id: int | str) -> str:
        message = f"{platform}:{kind}:{native_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    @property
    def fingerprint(self) -> str:
        """A short, non-reversible identifier of the key (for run records)."""
        return hmac.new(self._key, b"olmstats key fingerprint", hashlib.sha256).hexdigest()[:12]

    def __repr__(self) -> str:  # never show the key
        return f"Pseudonymiser(fingerprint={self.fingerprint})"
