"""Without the extra argn, TabularARGNGenerator says what to install (the tests of the model: test_argn.py)."""

import importlib.util

import numpy as np
import pandas as pd
import pytest

from synthloop import TabularARGNGenerator


@pytest.mark.skipif(importlib.util.find_spec("mostlyai") is not None
                    and importlib.util.find_spec("mostlyai.engine") is not None, reason="the engine is installed")
def test_missing_engine_names_the_extra():
    with pytest.raises(ImportError, match=r"TabularARGNGenerator needs the optional package mostlyai-engine "
                                          r"\(the extra 'argn'\).*pip install torch==2\.13\.0 && pip install "
                                          r"'synthloop\[argn\]' && pip uninstall -y torchvision"):
        TabularARGNGenerator(max_epochs=1).fit(pd.DataFrame({"x": np.arange(10.0)}))


def test_parameters_are_validated_before_the_engine_is_imported():
    with pytest.raises(ValueError, match=r"The 'max_epochs' parameter of TabularARGNGenerator must be"):
        TabularARGNGenerator(max_epochs=0).fit(pd.DataFrame({"x": np.arange(10.0)}))
