"""Doctest names for dltoolbox.dl: the package's public functions and numpy as np."""

import numpy as np
import pytest

from dltoolbox import categorical, dl


@pytest.fixture(autouse=True)
def _dl_names(doctest_namespace):
    doctest_namespace["np"] = np
    doctest_namespace["categorical"] = categorical
    for name in dl.__all__:
        doctest_namespace[name] = getattr(dl, name)
