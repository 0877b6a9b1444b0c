"""Transformers whose output is a container, never a table (the ``set_output`` policy)."""

from sklearn.base import TransformerMixin

__all__ = ["ContainerTransformerMixin"]


class ContainerTransformerMixin(TransformerMixin):
    """Mixin for transformers that return a container, not a feature table.

    scikit-learn's ``set_output`` wraps what ``transform`` returns in a
    pandas or polars table. A transformer whose output is a
    :class:`~skastro.LightCurves` (folded curves, curves with new metadata)
    or a :class:`skorch.helper.SliceDict` of padded sequences has no table
    to give: the next step needs the container. Such transformers opt out
    of the wrapping: their output is the same container whatever
    ``set_output(transform=...)`` or
    ``sklearn.set_config(transform_output=...)`` says, and ``set_output``
    is accepted (so ``Pipeline.set_output`` works on a pipeline holding
    them) and changes nothing. The steps that do return a feature table
    (e.g. :class:`~skastro.periodic.FoldFeatures`) honour the setting.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> from skastro.utils._set_output import ContainerTransformerMixin
    >>> class Identity(ContainerTransformerMixin, BaseEstimator):
    ...     def fit(self, X, y=None):
    ...         return self
    ...     def transform(self, X):
    ...         return X
    ...     def get_feature_names_out(self, input_features=None):
    ...         return input_features
    >>> Identity().set_output(transform="pandas").fit_transform({"a": [1, 2]})
    {'a': [1, 2]}
    """

    def __init_subclass__(cls, auto_wrap_output_keys=None, **kwargs):
        # scikit-learn wraps transform/fit_transform unless a class passes None here
        super().__init_subclass__(auto_wrap_output_keys=auto_wrap_output_keys, **kwargs)

    def set_output(self, *, transform=None):
        """Accept an output setting; the output stays the container.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            Ignored: this transformer always returns its container.

        Returns
        -------
        self : estimator
        """
        if transform not in (None, "default", "pandas", "polars"):
            raise ValueError(
                f"{type(self).__name__}.set_output: transform must be 'default', 'pandas', "
                f"'polars' or None; got {transform!r}."
            )
        return self
