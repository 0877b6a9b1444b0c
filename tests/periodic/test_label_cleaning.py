"""Label cleaning by cross-validated predictions (Dékány & Grebel 2020, §3.4)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skastro.periodic import clean_labels, confident_mistakes


def blobs(seed=0, flipped=(3, 7, 60)):
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(-2.5, 1, (50, 2)), rng.normal(2.5, 1, (50, 2))]
    y = np.repeat(np.array(["other", "RRab"]), 50)
    truth = y.copy()
    y[list(flipped)] = np.where(y[list(flipped)] == "RRab", "other", "RRab")
    return X, y, truth


def test_confident_mistakes_table():
    y = np.array(["RRab", "other", "other", "RRab"])
    proba = np.array([[0.05, 0.95], [0.6, 0.4], [0.01, 0.99], [0.92, 0.08]])
    table = confident_mistakes(y, proba, ["other", "RRab"], threshold=0.9, ids=["a", "b", "c", "d"])
    assert table["position"].tolist() == [2, 3]  # most confident first; b is wrong but not confident
    assert table["id"].tolist() == ["c", "d"]
    assert table["predicted"].tolist() == ["RRab", "other"]
    np.testing.assert_allclose(table["label_proba"], [0.01, 0.08])
    assert confident_mistakes(y, proba, ["other", "RRab"], threshold=0.999).empty


def test_confident_mistakes_rejects_bad_input():
    with pytest.raises(ValueError, match="shape"):
        confident_mistakes([0, 1], np.ones((2, 3)) / 3, [0, 1])
    with pytest.raises(ValueError, match="threshold"):
        confident_mistakes([0, 1], np.eye(2), [0, 1], threshold=1.5)
    with pytest.raises(ValueError, match="not in classes"):
        confident_mistakes([0, 2], np.eye(2), [0, 1])


def test_clean_labels_removes_the_planted_wrong_labels_and_refits():
    X, y, truth = blobs()
    result = clean_labels(LogisticRegression(), X, y, cv=5, threshold=0.9)
    assert sorted(result.removed["position"]) == [3, 7, 60]
    assert set(result.removed["iteration"]) == {1}
    assert len(result.kept) == 97 and not np.isin([3, 7, 60], result.kept).any()
    np.testing.assert_array_equal(y[result.kept], truth[result.kept])
    assert result.estimator.score(X[result.kept], y[result.kept]) == 1.0
    assert result.n_iter == 2  # the second round found nothing more


def test_clean_labels_inspection_hook_decides_what_goes():
    X, y, _ = blobs()
    seen = []

    def keep_only_rrab_candidates(mistakes):
        seen.append(mistakes)
        return mistakes.loc[mistakes["predicted"] == "RRab", "position"]

    result = clean_labels(LogisticRegression(), X, y, max_iter=1, inspect=keep_only_rrab_candidates, refit=False)
    assert sorted(seen[0]["position"]) == [3, 7, 60]
    # 60 is an RRab labelled "other" (the paper's case: stars missing from the catalogue)
    assert result.removed["position"].tolist() == [60]
    assert result.estimator is None and len(result.kept) == 99
    with pytest.raises(ValueError, match="max_iter"):
        clean_labels(LogisticRegression(), X, y, max_iter=0)


def test_clean_labels_refuses_to_empty_a_class():
    # every "RRab" label sits inside the "other" blob: one round would drop the whole class
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (60, 2))
    X[:6] += 0.01
    y = np.array(["other"] * 54 + ["RRab"] * 6)
    X[54:] = X[:6]
    with pytest.raises(ValueError, match=r"round 1 would remove every example of class\(es\) \['RRab'\]"):
        clean_labels(LogisticRegression(), X, y, cv=3, threshold=0.5)
