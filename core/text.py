"""Text for language modelling: a character corpus that ships with Python, and a synthetic
bracket language whose dependency distance is a number you set.

- :func:`corpus_text` joins the standard library's ``pydoc_data.topics`` (the help texts behind
  ``help("if")`` and friends): about 465 K characters of English and code, nothing downloaded.
- :class:`CharCorpus`: vocabulary, a train / validation split by position, and random
  ``(B, T)`` windows of character ids (targets are the same windows shifted by one).
- :class:`BracketLanguage`: every sequence opens one bracket of ``n_types`` kinds, continues
  with random filler letters, then a marker ``|`` and the matching closing bracket, exactly
  ``distance`` steps after the opening one. Predicting that closing bracket is a long-term
  dependency of a known length; the chance accuracy and the best possible loss are exact.

Shapes: B batch, T time. Ids are int64.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field

import torch

__all__ = ["corpus_text", "CharCorpus", "load_corpus", "BracketLanguage"]


@functools.cache
def corpus_text() -> str:
    """The pydoc topics joined in sorted key order with blank lines (deterministic)."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[k].strip("\n") for k in sorted(topics))


@dataclass
class CharCorpus:
    """A character-level corpus.

    ``chars``: the vocabulary (sorted unique characters); ``ids``: ``(N,)`` int64 ids of the
    whole text; the first ``split`` ids are for training, the rest for validation.
    """

    text: str
    chars: list[str]
    ids: torch.Tensor
    split: int
    stoi: dict[str, int] = field(repr=False, default_factory=dict)

    @classmethod
    def from_text(cls, text: str, val_fraction: float = 0.1) -> CharCorpus:
        if not 0.0 < val_fraction < 1.0:
            raise ValueError("val_fraction must be between 0 and 1")
        chars = sorted(set(text))
        stoi = {c: i for i, c in enumerate(chars)}
        ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
        split = int(round(len(text) * (1.0 - val_fraction)))
        return cls(text, chars, ids, split, stoi)

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    @property
    def digest(self) -> str:
        """Short hash of the text, to tell which Python's pydoc topics a result came from."""
        return hashlib.sha1(self.text.encode()).hexdigest()[:10]

    def encode(self, s: str) -> list[int]:
        """Ids of ``s``; characters outside the vocabulary are dropped."""
        return [self.stoi[c] for c in s if c in self.stoi]

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def batch(self, batch_size: int, seq_len: int, generator: torch.Generator | None = None,
              split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
        """Random windows: ``x`` ``(B, T)`` ids and ``y`` ``(B, T)`` the next character of each.

        Windows are drawn uniformly from the train part (``split="train"``) or the validation
        part (``"val"``), never crossing the boundary.
        """
        lo, hi = (0, self.split) if split == "train" else (self.split, len(self.ids))
        T = int(seq_len)
        if hi - lo < T + 2:
            raise ValueError(f"the {split} part is too short for windows of {T}")
        starts = torch.randint(lo, hi - T, (int(batch_size),), generator=generator)  # (B,)
        idx = starts.unsqueeze(1) + torch.arange(T + 1)  # (B, T + 1)
        w = self.ids[idx]
        return w[:, :-1], w[:, 1:]


@functools.cache
def load_corpus(val_fraction: float = 0.1) -> CharCorpus:
    """The pydoc corpus, cached per process."""
    return CharCorpus.from_text(corpus_text(), val_fraction)


# ---------------------------------------------------------------------------------------------
# A synthetic language with a dependency of known length


@dataclass(frozen=True)
class BracketLanguage:
    """Sequences of ``max_distance + 1`` characters, for example (max_distance 8, distance 5)::

        f c ( h a b | )
              ^---- 5 ---^     (the opening bracket sits 5 steps before its closing bracket)

    Position ``p`` holds an opening bracket of a random type; every other position before the
    marker holds a random filler letter; position ``K - 1`` is the marker ``|`` and position
    ``K`` the closing bracket matching the opening one (K = max_distance). The distance
    ``d = K - p`` is drawn uniformly from ``2..K``. A language model reads it one character at
    a time and predicts the next; only the closing bracket needs a memory, of exactly d steps.
    """

    max_distance: int = 20
    n_types: int = 4
    n_fillers: int = 8

    OPEN = "([{<"
    CLOSE = ")]}>"
    FILLERS = "abcdefgh"
    MARK = "|"

    def __post_init__(self):
        if not 2 <= int(self.max_distance) <= 1000:
            raise ValueError("max_distance must be from 2 to 1000")
        if not 2 <= self.n_types <= len(self.OPEN):
            raise ValueError(f"n_types must be from 2 to {len(self.OPEN)}")
        if not 1 <= self.n_fillers <= len(self.FILLERS):
            raise ValueError(f"n_fillers must be from 1 to {len(self.FILLERS)}")

    @property
    def chars(self) -> list[str]:
        """Vocabulary: opening brackets, closing brackets, fillers, marker."""
        return (list(self.OPEN[:self.n_types]) + list(self.CLOSE[:self.n_types])
                + list(self.FILLERS[:self.n_fillers]) + [self.MARK])

    @property
    def vocab_size(self) -> int:
        return 2 * self.n_types + self.n_fillers + 1

    @property
    def seq_len(self) -> int:
        """Characters per sequence (K + 1); the model sees K inputs and predicts K targets."""
        return int(self.max_distance) + 1

    @property
    def distances(self) -> list[int]:
        return list(range(2, int(self.max_distance) + 1))

    def decode(self, ids) -> str:
        ch = self.chars
        return "".join(ch[int(i)] for i in ids)

    def sample(self, batch_size: int, generator: torch.Generator | None = None,
               distance: int | torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(tokens (B, K + 1) int64, distances (B,) int64)``; ``distance`` fixes d."""
        B, K, n = int(batch_size), int(self.max_distance), self.n_types
        tokens = 2 * n + torch.randint(0, self.n_fillers, (B, K + 1), generator=generator)
        if distance is None:
            d = torch.randint(2, K + 1, (B,), generator=generator)
        else:
            d = torch.as_tensor(distance, dtype=torch.long).expand(B).clone()
            if int(d.min()) < 2 or int(d.max()) > K:
                raise ValueError(f"distance must be from 2 to {K}")
        kind = torch.randint(0, n, (B,), generator=generator)
        rows = torch.arange(B)
        tokens[rows, K - d] = kind
        tokens[:, K - 1] = 2 * n + self.n_fillers
        tokens[:, K] = n + kind
        return tokens, d

    def batch(self, batch_size: int, generator: torch.Generator | None = None,
              distance: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Language-model pairs: ``x`` ``(B, K)`` and ``y`` ``(B, K)`` (x shifted by one)."""
        tokens, _ = self.sample(batch_size, generator, distance)
        return tokens[:, :-1], tokens[:, 1:]

    # -- exact baselines -----------------------------------------------------------------------
    @property
    def chance_accuracy(self) -> float:
        """Accuracy at the closing bracket without memory: 1 / n_types."""
        return 1.0 / self.n_types

    @property
    def chance_answer_loss(self) -> float:
        """Cross-entropy at the closing bracket without memory: ln n_types nats."""
        return math.log(self.n_types)

    @property
    def best_loss(self) -> float:
        """The lowest possible mean cross-entropy per predicted character (nats).

        By the chain rule the K predictions together cost the entropy of characters 1..K given
        character 0: H(sequence) - H(character 0). The sequence is fixed by the position of
        the opening bracket (K - 1 equally likely), its type (n_types) and the K - 2 fillers
        (n_fillers each); character 0 is an opening bracket with probability 1 / (K - 1).
        """
        K, n, m = int(self.max_distance), self.n_types, self.n_fillers
        q = 1.0 / (K - 1)
        h_seq = math.log(K - 1) + math.log(n) + (K - 2) * math.log(m)
        h0 = -(q * math.log(q / n) + ((1 - q) * math.log((1 - q) / m) if q < 1 else 0.0))
        return (h_seq - h0) / K

    @property
    def no_memory_loss(self) -> float:
        """Best mean loss of a model that knows the grammar but guesses the closing bracket:
        ``best_loss + ln(n_types) / K``."""
        return self.best_loss + math.log(self.n_types) / int(self.max_distance)
