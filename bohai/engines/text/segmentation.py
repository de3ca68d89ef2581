"""Chinese word segmentation with jieba, loaded once and lazily.

The engine keeps its own `jieba.Tokenizer` (not jieba's global one, which other code may
configure differently), loads jieba's shipped dictionary on first use (about a second; jieba
caches the prefix dictionary in the temporary directory) and adds the user dictionary
data/userdict.txt: Cangzhou's county-level units, towns, main roads, street offices and the
domain words of appeals (井盖, 占道经营, 煤改气, 宅基地 …), so that 孟村回族自治县 or 浮阳大道 stay
one token. Precise mode, HMM on (it joins unknown names such as invented compounds).

`words(text)` is what the classifier's word features use; `normalise(text)` is shared with the
character features and the keyword rules.
"""
import logging
import re
import threading
import unicodedata
from pathlib import Path

USER_DICTIONARY = Path(__file__).resolve().parent / "data" / "userdict.txt"

_lock = threading.Lock()
_tokenizer = None
# Tokens that carry no meaning for classification: punctuation and whitespace.
_SKIP = re.compile(r"^[\s\W_]+$")


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, runs of whitespace to one space."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def tokenizer():
    """The engine's jieba tokenizer, initialised on first call (thread-safe)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                instance = jieba.Tokenizer()
                instance.initialize()
                for word, frequency, tag in read_user_dictionary(USER_DICTIONARY):
                    instance.add_word(word, frequency, tag)
                _tokenizer = instance
    return _tokenizer


def read_user_dictionary(path: Path) -> list[tuple[str, int | None, str | None]]:
    """Lines `word [frequency] [tag]`; blank lines and lines starting with # are skipped."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        frequency = int(fields[1]) if len(fields) > 1 else None
        entries.append((fields[0], frequency, fields[2] if len(fields) > 2 else None))
    return entries


def words(text: str) -> list[str]:
    """The words of a text, jieba precise mode, without punctuation and whitespace."""
    return [token for token in tokenizer().lcut(normalise(text), HMM=True) if not _SKIP.match(token)]
