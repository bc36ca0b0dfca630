"""Simulated headlines for aux_output: popularity depends on words AND side features.

The tutorial has no data ("need to find data"), so we invent it. About a third of
the words in a headline come from a small set of loaded words; some of them
raise popularity, some lower it. Five side features (hour of posting, weekend,
followers, has an image, length) add their own share. The auxiliary head sees
only the words, so it can never match the main head, which sees both.
"""
import numpy as np

from mbcore.tasks.base import Dataset

POSITIVE = ("breaking", "exclusive", "free", "secret", "puppies", "revealed", "shocking",
            "win", "viral", "leaked")
NEGATIVE = ("committee", "quarterly", "minutes", "regulation", "update", "memo", "notice",
            "agenda", "review", "statement")
FEATURES = ("hour", "weekend", "followers", "has_image", "length")
SIDE_WEIGHTS = np.array([0.9, -0.7, 1.0, 0.6, -0.4], dtype="float32")
LOADED_SHARE = 0.3
_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su", "da", "fo", "gu", "hi",
              "ja", "be", "co", "xe", "wy", "qu")


def word(token: int) -> str:
    """A readable stand-in word for a token id (loaded words get real ones)."""
    loaded = POSITIVE + NEGATIVE
    if 1 <= token <= len(loaded):
        return loaded[token - 1]
    n = len(_SYLLABLES)
    return _SYLLABLES[token % n] + _SYLLABLES[(token // n) % n] + _SYLLABLES[(token // n // n) % n]


def decode(tokens) -> str:
    return " ".join(word(int(t)) for t in tokens)


def make(settings) -> Dataset:
    rng = np.random.default_rng(settings.seed)
    n_loaded = len(POSITIVE) + len(NEGATIVE)
    sign = np.r_[np.ones(len(POSITIVE)), -np.ones(len(NEGATIVE))].astype("float32")

    def draw(n):
        length = settings.seq_len
        plain = rng.integers(n_loaded + 1, settings.vocab, (n, length))
        loaded = rng.integers(1, n_loaded + 1, (n, length))
        tokens = np.where(rng.random((n, length)) < LOADED_SHARE, loaded, plain).astype("int32")
        is_loaded = tokens <= n_loaded
        counts = np.where(is_loaded, sign[np.clip(tokens - 1, 0, n_loaded - 1)], 0).sum(axis=1)
        word_score = counts / np.sqrt(LOADED_SHARE * length)
        side = rng.normal(size=(n, len(FEATURES))).astype("float32")
        side_score = side @ SIDE_WEIGHTS / np.linalg.norm(SIDE_WEIGHTS)
        logit = word_score + side_score + 0.3 * rng.normal(size=n)
        labels = (logit > 0).astype("float32")[:, None]
        x = {"headline_input": tokens, "side_input": side}
        y = {"main_output": labels, "aux_output": labels}
        return x, y, word_score, side_score

    n_val = max(100, settings.n_samples // 5)
    x_tr, y_tr, ws, ss = draw(settings.n_samples)
    x_va, y_va, _, _ = draw(n_val)
    return Dataset(x_tr, y_tr, x_va, y_va, info={
        "feature_names": FEATURES, "word_score": ws, "side_score": ss,
        "positive_words": POSITIVE, "negative_words": NEGATIVE})
