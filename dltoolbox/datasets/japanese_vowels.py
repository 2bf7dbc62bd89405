"""Japanese Vowels (UCI; Kudo, Toyama & Shimbo 1999) behind MATLAB's loader names.

The two ``.ts`` files in ``data/`` are unmodified copies of UCI's split (270 training,
370 test utterances; 12 LPC cepstrum coefficients per frame; speakers '1'..'9'); see
``data/README.md`` for provenance and licence.
"""

from functools import lru_cache
from pathlib import Path

import numpy as np

from ..categorical import categorical
from ..errors import raise_error

_DATA = Path(__file__).with_name("data")


@lru_cache(maxsize=2)
def _load_ts(name):
    X, labels, in_data = [], [], False
    with open(_DATA / name, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                in_data = line.lower().startswith("@data")
                continue
            *dims, label = line.split(":")
            X.append(np.array([[float(v) for v in d.split(",")] for d in dims]))
            labels.append(label)
    return X, labels


def _outputs(name, nargout):
    if type(nargout) is not int or not 1 <= nargout <= 2:
        func = "japaneseVowels" + ("Train" if "TRAIN" in name else "Test") + "Data"
        raise_error(func, "TooManyOutputs",
                    f"nargout must be 1 or 2 (XTrain, YTrain), got {nargout!r}.")
    X, labels = _load_ts(name)
    X = [x.copy() for x in X]
    Y = categorical(labels)
    return X if nargout == 1 else (X, Y)


def japaneseVowelsTrainData(nargout=1):  # noqa: N802 - MATLAB name
    """Training data: 270 sequences (12-by-T, T = 7..26) and categorical labels '1'..'9'.

    >>> XTrain, YTrain = japaneseVowelsTrainData(nargout=2)
    >>> len(XTrain), XTrain[0].shape, YTrain.categories[:3]
    (270, (12, 20), ['1', '2', '3'])
    """
    return _outputs("JapaneseVowels_TRAIN.ts", nargout)


def japaneseVowelsTestData(nargout=1):  # noqa: N802 - MATLAB name
    """Test data: 370 sequences (12-by-T, T = 7..29) and categorical labels '1'..'9'.

    >>> XTest, YTest = japaneseVowelsTestData(nargout=2)
    >>> len(XTest)
    370
    """
    return _outputs("JapaneseVowels_TEST.ts", nargout)
