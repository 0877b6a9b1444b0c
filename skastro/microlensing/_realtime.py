"""Real-time LensNet: re-score alerts as their epochs arrive (Viaña et al. 2025, §9.2)."""

from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .._lightcurves import LightCurves
from ..nn._utils import torch_threads
from ..utils._validation import check_cast

__all__ = ["LensNetStream"]

_RAW = ("time", "value", "error")


class _Branch:
    """One site's running LSTM state: ``(h, c)``, last output, output sum, epochs, last time."""

    def __init__(self):
        self.state, self.last, self.total, self.n, self.t_last = None, None, None, 0, -np.inf


class _Object:
    """The raw epochs of one alert (appended in chunks) and, incrementally, its branch states."""

    def __init__(self, n_sites):
        self.chunks = {}
        self.meta = {}
        self.branches = [_Branch() for _ in range(n_sites)]

    def add(self, cols):
        for name, v in cols.items():
            self.chunks.setdefault(name, []).append(v)

    def column(self, name):
        parts = self.chunks[name]
        if len(parts) > 1:                     # concatenate once, keep the result
            parts[:] = [np.concatenate(parts)]
        return parts[0]


class LensNetStream:
    """Score microlensing alerts epoch by epoch with a fitted LensNet.

    The real-time use of LensNet (Viaña et al. 2025, §9.2): new epochs of an
    alert arrive from each site, and its score is updated at once. Build it
    with :meth:`BranchedRNNClassifier.stream`; every :meth:`update` returns
    what ``classifier.predict_proba`` returns for the alert's whole history
    so far (to float32 rounding), in one of two ways:

    - ``mode="incremental"`` (a classifier fitted with
      ``preprocessor="passthrough"``): its per-epoch features are read as
      given, so each site's LSTM branch (unidirectional) only has to read the
      *new* epochs from its stored state ``(h, c)``; an update costs a few
      LSTM steps and the dense head, whatever the history's length. An epoch
      older than its site's last one re-runs that site's branch over its
      stored epochs, in time order. Epochs with a NaN or infinite feature
      are kept in the history but never read, as ``predict_proba`` drops
      them.
    - ``mode="recompute"`` (the default :class:`LensNetPreprocessor`): the
      §5.4 preprocessing is a function of the whole window, so a new epoch
      changes the inputs of *every* earlier epoch at every site: ``t_rel`` is
      relative to the alert's last epoch, the fitted line, the per-site flux
      normalisation and the outlier rules (which look at the next epoch and
      at site medians) use all epochs, and ``max_length`` drops the oldest
      one. No stored LSTM state stays valid, so the exact update re-runs the
      preprocessing and the branches on this one alert from its stored raw
      epochs, skipping ``predict_proba``'s input checks and batching.

    Parameters
    ----------
    classifier : BranchedRNNClassifier
        A fitted classifier. Refitting it invalidates the stream's states:
        make a new stream.

    Attributes
    ----------
    classifier : BranchedRNNClassifier
        The model.
    mode : {"incremental", "recompute"}
        How updates are computed (see above).
    columns : tuple of str
        Per-epoch columns each update must give beyond ``time`` and
        ``value`` (``error`` and the context columns the model reads).

    See Also
    --------
    skastro.BranchedRNNClassifier.stream : builds this object.

    Notes
    -----
    The stream keeps every epoch it was given (the recompute mode needs
    them, and an out-of-order epoch re-runs a branch from them);
    :meth:`forget` drops an alert once it is decided. The alert's metadata
    (e.g. the AlertFinder's latest ``t_break``, which the default
    preprocessing reads) is given with ``meta=``; without a ``t_break`` the
    preprocessing runs the trigger on the history, as a full re-score does.

    Examples
    --------
    >>> from skastro.datasets import make_microlensing_alerts
    >>> from skastro.microlensing import BranchedRNNClassifier
    >>> alerts = make_microlensing_alerts(30, n_days=8, random_state=0)
    >>> y = alerts.meta["label_binary"].to_numpy()
    >>> clf = BranchedRNNClassifier(hidden_size=4, dense_size=4, max_epochs=1,
    ...                             random_state=0).fit(alerts, y)
    >>> stream = clf.stream()
    >>> stream.mode, stream.columns
    ('recompute', ('error', 'sky', 'fwhm', 'airmass', 'psf_quality'))
    >>> one = alerts[0].to_pandas()
    >>> for row in one.itertuples():
    ...     p = stream.update("KMT-1", row.site, row.time, row.value, row.error,
    ...                       sky=row.sky, fwhm=row.fwhm, airmass=row.airmass,
    ...                       psf_quality=row.psf_quality,
    ...                       meta={"t_break": alerts.meta["t_break"].iloc[0]})
    >>> bool(abs(p[1] - clf.predict_proba(alerts[0])[0, 1]) < 1e-5)
    True
    """

    def __init__(self, classifier):
        if not callable(getattr(classifier, "stream", None)):
            raise TypeError(f"LensNetStream needs a fitted BranchedRNNClassifier; got "
                            f"{type(classifier).__name__}.")
        check_is_fitted(classifier, "net_")
        self.classifier = classifier
        prep = classifier.preprocessor_
        self.mode = "incremental" if prep is None else "recompute"
        if prep is None:
            wanted = [c for c in classifier.columns_ if c not in ("time", "value")]
        else:
            wanted = ["error", *getattr(prep, "context_", ())]
        self.columns = tuple(dict.fromkeys(wanted))
        self._module = classifier.net_.module_
        self._device = next(self._module.parameters()).device
        self._site_index = {s: k for k, s in enumerate(classifier.sites_)}
        self._objects = {}

    # ------------------------------------------------------------ state
    @property
    def object_ids(self):
        """Ids of the alerts held, in order of their first epoch."""
        return list(self._objects)

    def __len__(self):
        return len(self._objects)

    def __contains__(self, object_id):
        return object_id in self._objects

    def forget(self, object_id):
        """Drop an alert and its state.

        Parameters
        ----------
        object_id : hashable
            The alert's id; unknown ids raise ``KeyError``.
        """
        if object_id not in self._objects:
            raise KeyError(f"LensNetStream holds no alert {object_id!r}.")
        del self._objects[object_id]

    # ------------------------------------------------------------ input
    def _epochs(self, site, time, value, error, columns):
        time = np.atleast_1d(np.asarray(time, dtype=np.float64))
        if time.ndim != 1 or time.size == 0:
            raise ValueError(f"LensNetStream.update: time must be a number or a 1-D array of "
                             f"them; got shape {time.shape}.")
        k = time.size
        if not np.isfinite(time).all():
            raise ValueError("LensNetStream.update: time must be finite.")
        cols = {"time": time}
        given = {"value": value, "error": error, **columns}
        missing = [c for c in ("value", *self.columns) if given.get(c) is None]
        if missing:
            raise ValueError(f"LensNetStream.update: the model reads per-epoch column(s) "
                             f"{missing}; pass them (e.g. {missing[0]}=...).")
        for name in ("value", *self.columns):
            v = np.array(given[name], dtype=np.float64, ndmin=1)     # a copy
            if v.shape != (k,):
                if v.size != 1:
                    raise ValueError(f"LensNetStream.update: {name!r} has shape {v.shape} but "
                                     f"time has {k} value(s).")
                v = np.full(k, v.item())
            cols[name] = v
        no_site = self.classifier.sites_ == ("",)
        site = np.array("" if site is None and no_site else site, dtype=object, ndmin=1)
        if site.shape != (k,):
            if site.size != 1:
                raise ValueError(f"LensNetStream.update: site has shape {site.shape} but time "
                                 f"has {k} value(s).")
            site = np.full(k, site.item(), dtype=object)
        unknown = sorted({str(s) for s in site if s not in self._site_index})
        if unknown:
            raise ValueError(f"LensNetStream.update: unknown site(s) {unknown}; the model was "
                             f"fitted on sites {list(self.classifier.sites_)}.")
        cols["site"] = site
        return cols

    def update(self, object_id, site, time, value, error=None, *, meta=None, **columns):
        """Add new epochs of one alert and return its updated class probabilities.

        Parameters
        ----------
        object_id : hashable
            The alert's id (a new id starts a new alert).
        site : str or array-like of str
            Site of the new epoch(s) (one of ``classifier.sites_``; None
            when the model was fitted without sites).
        time : float or array-like of float
            Time(s) of the new epoch(s), in days.
        value : float or array-like of float
            Flux(es).
        error : float or array-like of float, default=None
            Flux error(s); needed when ``"error"`` is in ``columns``.
        meta : dict, default=None
            Metadata of the alert to set or update (e.g. ``{"t_break": ...}``).
        **columns : float or array-like of float
            The other per-epoch columns of ``columns`` (context such as
            ``sky``, ``fwhm``...); others are ignored.

        Returns
        -------
        ndarray of shape (n_classes,)
            The alert's class probabilities, in the order of
            ``classifier.classes_`` (``[1]``: the positive class of a binary
            model).
        """
        cols = self._epochs(site, time, value, error, columns)
        if self.mode == "incremental":
            self._check_float32(object_id, cols)
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f"LensNetStream.update: meta must be a dict; got {type(meta).__name__}.")
        obj = self._objects.get(object_id)
        if obj is None:
            obj = self._objects[object_id] = _Object(len(self.classifier.sites_))
        obj.add(cols)
        obj.meta.update(meta or {})
        with self._inference():
            if self.mode == "incremental":
                self._advance(obj, cols)
            return self._proba(self._logits(object_id))

    def _check_float32(self, object_id, cols):
        """Refuse finite features beyond float32, before they enter the alert's state: the
        LSTM would read inf and every later score be NaN (``predict_proba`` refuses them
        too, by the same check in ``pad_branches``)."""
        for name in self.classifier.columns_:
            v = cols.get(name)
            if v is not None:
                with np.errstate(over="ignore"):
                    cast = np.asarray(v).astype(np.float32)
                check_cast(f"column {name!r}", np.asarray(v), cast, lambda i: object_id,
                           "LensNetStream.update", "the network reads")

    # ------------------------------------------------------------ scoring
    def _features(self, cols):
        return np.column_stack([cols[c] for c in self.classifier.columns_]).astype(np.float32)

    @contextmanager
    def _inference(self):
        import torch

        with torch.inference_mode(), torch_threads(self.classifier.n_jobs):
            if self._module.training:          # dropout off, as in predict_proba
                self._module.train(False)
            yield

    def _finite(self, get):
        """Epochs whose features are all finite: ``predict_proba`` drops the others
        (``preprocessor="passthrough"``), so the LSTM states must never read them."""
        return np.logical_and.reduce([np.isfinite(get(c)) for c in self.classifier.columns_])

    def _advance(self, obj, cols):
        import torch

        finite = self._finite(cols.__getitem__)
        if not finite.all():
            cols = {c: v[finite] for c, v in cols.items()}
        codes = np.array([self._site_index[s] for s in cols["site"]], dtype=np.int64)
        for s in np.unique(codes):
            b = obj.branches[s]
            new = codes == s
            t = cols["time"][new]
            if t.min() >= b.t_last:         # in time order: read only the new epochs
                order = np.argsort(t, kind="stable")
                x = self._features({c: v[new][order] for c, v in cols.items()})
                state, total = b.state, b.total
            else:                           # an older epoch: re-read the whole site
                at_site = (obj.column("site") == self.classifier.sites_[s]) & self._finite(obj.column)
                t = obj.column("time")[at_site]
                order = np.argsort(t, kind="stable")
                x = self._features({c: obj.column(c)[at_site][order]
                                    for c in ("time", "value", *self.columns)})
                state, total, b.n = None, None, 0
            out, b.state = self._module.step(int(s), torch.from_numpy(x).to(self._device), state)
            b.last = out[-1]
            if self._module.pooling == "last+mean":
                b.total = out.sum(0) if total is None else total + out.sum(0)
            b.n += len(x)
            b.t_last = max(b.t_last if state is not None else -np.inf, float(t.max()))

    def _logits(self, object_id):
        import torch

        obj = self._objects[object_id]
        clf = self.classifier
        if self.mode == "incremental":
            zero = torch.zeros(self._module.branches[0].hidden_size, device=self._device)
            lasts = [(zero if b.last is None else b.last).unsqueeze(0) for b in obj.branches]
            sums = [(zero if b.total is None else b.total).unsqueeze(0) for b in obj.branches]
            counts = [torch.tensor([b.n], device=self._device) for b in obj.branches]
            out = self._module.head(self._module.merge(lasts, sums, counts))
        else:
            x, lengths = clf._arrays(self.to_lightcurves([object_id]))
            out = self._module(torch.from_numpy(x).to(self._device),
                               torch.from_numpy(lengths).to(self._device))
        return out.reshape(-1).cpu().numpy().astype(np.float64)

    def score(self, object_id):
        """Current class probabilities of an alert (no new epoch).

        Parameters
        ----------
        object_id : hashable
            An alert given to :meth:`update`; unknown ids raise ``KeyError``.

        Returns
        -------
        ndarray of shape (n_classes,)
            In the order of ``classifier.classes_``.
        """
        if object_id not in self._objects:
            raise KeyError(f"LensNetStream holds no alert {object_id!r}.")
        with self._inference():
            return self._proba(self._logits(object_id))

    @staticmethod
    def _proba(logits):
        if logits.size == 1:                    # as BaseTorchClassifier.predict_proba
            p1 = 1.0 / (1.0 + np.exp(-logits[0]))
            return np.array([1.0 - p1, p1])
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def to_lightcurves(self, object_ids=None):
        """The stored epochs as :class:`~skastro.LightCurves` (what a full re-score reads).

        Parameters
        ----------
        object_ids : sequence of hashable, default=None
            Alerts to include (default: all, in :attr:`object_ids` order).

        Returns
        -------
        LightCurves
            ``value_kind="flux"``, one object per alert with its ``site``
            and the ``columns``; ``meta`` holds what ``meta=`` gave.
        """
        ids = self.object_ids if object_ids is None else list(object_ids)
        if not ids:
            raise ValueError("LensNetStream.to_lightcurves: no alert to return.")
        objs = []
        for i in ids:
            if i not in self._objects:
                raise KeyError(f"LensNetStream holds no alert {i!r}.")
            objs.append(self._objects[i])
        arrays = {c: [o.column(c) for o in objs] for c in ("time", "value", *self.columns)}
        context = {c: arrays[c] for c in self.columns if c != "error"}
        meta = pd.DataFrame([o.meta for o in objs], index=pd.Index(ids, name="object_id"))
        sites = None if self.classifier.sites_ == ("",) else [o.column("site") for o in objs]
        raw_error = self.mode == "recompute"   # passthrough features may hold anything
        X = LightCurves.from_arrays(
            arrays["time"], arrays["value"], arrays.get("error") if raw_error else None, ids=ids,
            meta=meta, sites=sites, context=context or None, value_kind="flux")
        if "error" in arrays and not raw_error:
            # a derived column written over ``error``, in the container's (time-sorted) order
            X = X.with_columns(error=np.concatenate([
                e[np.argsort(t, kind="stable")] for t, e in zip(arrays["time"], arrays["error"])]))
        return X
