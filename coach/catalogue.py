"""The mistake catalogue: every mistake a probe can cite, with why it happens and the fix.

The ids are the contract of DESIGN §4 and appear in reports (`mistake` of a probe result).
This module imports nothing heavy at module level; `rich` is imported inside the renderers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from coach.errors import CoachError

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

PROBLEM_IDS: tuple[str, ...] = (
    "logistic_regression",
    "linear_regression",
    "softmax_regression",
    "kmeans",
    "knn",
    "decision_tree",
    "neural_network",
    "pca",
    "adam",
    "numerics",
)

_ALL = PROBLEM_IDS
_GD = ("logistic_regression", "linear_regression", "softmax_regression", "neural_network")


@dataclass(frozen=True)
class Mistake:
    """One catalogue entry: a classic implementation mistake and how to avoid it."""

    id: str
    title: str
    why: str
    detection: str
    bad: str
    good: str
    fix: str
    bites: tuple[str, ...]


_ENTRIES: tuple[Mistake, ...] = (
    Mistake(
        id="log-of-zero",
        title="Taking the log of a probability that can be exactly 0",
        why=(
            "In float64 a sigmoid output rounds to exactly 1.0 once the logit passes about 37, "
            "so log(1 - p) is log(0); softmax probabilities underflow to exactly 0.0 once logits "
            "differ by about 745. Both happen quickly on separable data. log(0) is -inf and "
            "0 * log(0) is nan, which ruins the loss and everything computed from it."
        ),
        detection=(
            "The grader sets the weights so that the model returns a probability of exactly 1.0 "
            "for a sample labelled 0 (and 0.0 for one labelled 1) and calls loss(X, y); an "
            "unclipped log gives inf or nan instead of a large finite number. For entropy it "
            "passes labels where one class has no members."
        ),
        bad=("p = sigmoid(X @ w + b)\nloss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))"),
        good=(
            "p = np.clip(sigmoid(X @ w + b), 1e-15, 1 - 1e-15)\n"
            "loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))"
        ),
        fix=(
            "Clip probabilities into [1e-15, 1 - 1e-15] before every log (or compute the loss "
            "from logits with a stable log-sigmoid / log-softmax); in entropy, drop zero counts."
        ),
        bites=(
            "logistic_regression",
            "softmax_regression",
            "neural_network",
            "decision_tree",
            "numerics",
        ),
    ),
    Mistake(
        id="unstable-softmax",
        title="Softmax or logsumexp without subtracting the maximum",
        why=(
            "exp overflows float64 above about 709, so exp(1000) is inf and inf / inf is nan. "
            "Softmax does not change when a constant is subtracted from every logit of a row, "
            "so shifting by the row maximum costs nothing and keeps every exponent <= 0."
        ),
        detection=(
            "The grader feeds logits of +1000 and -1000 (through softmax, log_softmax, "
            "logsumexp or predict_proba with large weights) and fails the probe on any inf, nan "
            "or overflow warning in the result."
        ),
        bad=("e = np.exp(z)\np = e / e.sum(axis=1, keepdims=True)"),
        good=(
            "z = z - z.max(axis=1, keepdims=True)  # every exponent <= 0\n"
            "e = np.exp(z)\n"
            "p = e / e.sum(axis=1, keepdims=True)"
        ),
        fix=(
            "Subtract the row maximum (keepdims=True) from the logits before exp; for "
            "logsumexp add the maximum back after the log: m + log(sum(exp(z - m)))."
        ),
        bites=("softmax_regression", "neural_network", "numerics"),
    ),
    Mistake(
        id="exp-overflow",
        title="exp overflow in sigmoid and related formulas",
        why=(
            "1 / (1 + np.exp(-z)) computes exp(1000) for z = -1000: the result happens to be 0, "
            "but NumPy emits an overflow warning and inf appears in intermediates. A common "
            "'fix', np.where(z >= 0, 1/(1+np.exp(-z)), np.exp(z)/(1+np.exp(z))), still "
            "overflows: np.where evaluates both branches on the whole array before choosing."
        ),
        detection=(
            "The grader calls sigmoid / predict_proba on logits of +1000 and -1000 with "
            "warnings turned into errors; any overflow warning, inf or nan fails the probe."
        ),
        bad=(
            "def sigmoid(z):\n"
            "    # both branches run on every z, so np.exp still overflows\n"
            "    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))"
        ),
        good=(
            "def sigmoid(z):\n"
            "    e = np.exp(-np.abs(z))  # exponent <= 0: never overflows\n"
            "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))"
        ),
        fix=(
            "Only ever exponentiate non-positive numbers: use e = exp(-|z|) and pick the branch "
            "with np.where, or clip z to [-500, 500] before exp."
        ),
        bites=("logistic_regression", "neural_network", "numerics"),
    ),
    Mistake(
        id="unscaled-features",
        title="Gradient descent on features of very different scales",
        why=(
            "With one feature in the thousands and another near 1, the loss surface is a long "
            "narrow valley: a learning rate small enough for the large feature barely moves the "
            "small one, and one large enough for the small feature diverges. Scaling internally "
            "without mapping the weights back to raw units is the second half of this mistake."
        ),
        detection=(
            "The grader fits on data whose columns differ in scale by orders of magnitude and "
            "compares predictions (and, for linear regression, the weights in the raw features' "
            "units) with the reference; an unscaled fit diverges to inf/nan or stops far away."
        ),
        bad=(
            "for _ in range(self.n_iterations):  # X[:, 0] ~ 1, X[:, 1] ~ 10_000\n"
            "    w -= lr * X.T @ (X @ w + b - y) / n\n"
            "    b -= lr * np.mean(X @ w + b - y)"
        ),
        good=(
            "mu, sd = X.mean(axis=0), X.std(axis=0)\n"
            "sd = np.where(sd > 0, sd, 1.0)\n"
            "Xs = (X - mu) / sd  # run gradient descent on Xs to get ws, bs\n"
            "w = ws / sd\n"
            "b = bs - mu @ w  # same predictions, raw-feature units"
        ),
        fix=(
            "Standardise features inside fit (store mean and std, guard std == 0), train on the "
            "scaled data, then convert the weights back: w = ws / sd, b = bs - mean @ w."
        ),
        bites=(
            "linear_regression",
            "logistic_regression",
            "softmax_regression",
            "neural_network",
        ),
    ),
    Mistake(
        id="wrong-axis",
        title="Reducing along the wrong axis",
        why=(
            "For X of shape (n_samples, n_features), per-feature statistics use axis=0 and "
            "per-sample ones use axis=1. When the array happens to be square the wrong axis "
            "gives a result of the right shape, so nothing raises and the numbers are wrong."
        ),
        detection=(
            "The grader uses square inputs (n_samples equal to n_features, or to the number of "
            "classes) where a wrong axis runs silently, and compares the output with the "
            "reference; e.g. softmax rows must each sum to 1."
        ),
        bad=(
            "p = e / e.sum(axis=0)  # normalises columns, not rows\n"
            "mu = X.mean(axis=1)  # one mean per sample"
        ),
        good=(
            "p = e / e.sum(axis=1, keepdims=True)  # each row sums to 1\n"
            "mu = X.mean(axis=0)  # one mean per feature"
        ),
        fix=(
            "Reduce over samples with axis=0 and over classes/features of one sample with "
            "axis=1 (or the axis argument you were given); use keepdims=True when you divide."
        ),
        bites=(
            "softmax_regression",
            "neural_network",
            "kmeans",
            "knn",
            "pca",
            "numerics",
        ),
    ),
    Mistake(
        id="uncentered-pca",
        title="PCA without centering the data",
        why=(
            "Principal components are eigenvectors of the covariance matrix, which is defined "
            "about the mean. X.T @ X of uncentered data is dominated by the mean itself, so the "
            "first 'component' points at the data's centre instead of along its spread. "
            "transform and inverse_transform must subtract and add the same stored mean."
        ),
        detection=(
            "The grader runs PCA on data centred far from the origin and compares components "
            "(up to sign), explained_variance and transform(X) with the reference."
        ),
        bad=("cov = X.T @ X / (n - 1)  # not centred\nvals, vecs = np.linalg.eigh(cov)"),
        good=(
            "self.mean = X.mean(axis=0)\n"
            "Xc = X - self.mean\n"
            "cov = Xc.T @ Xc / (n - 1)\n"
            "vals, vecs = np.linalg.eigh(cov)"
        ),
        fix=(
            "Store self.mean = X.mean(axis=0) in fit, build the covariance from X - mean, and "
            "subtract the same mean in transform (add it back in inverse_transform)."
        ),
        bites=("pca",),
    ),
    Mistake(
        id="variance-ddof",
        title="Dividing by n where n - 1 is expected (or the other way round)",
        why=(
            "Sample variance divides by n - 1, population variance by n. NumPy mixes both: "
            "np.var and np.std default to ddof=0 (n) while np.cov defaults to n - 1. PCA's "
            "explained variance is the sample variance along each component; standardising "
            "features conventionally uses the population std."
        ),
        detection=(
            "The grader uses a small n, where the factor n / (n - 1) is visible, and compares "
            "explained_variance (n - 1) and standardize (ddof=0) with the reference."
        ),
        bad=(
            "cov = Xc.T @ Xc / (n - 1)\n"
            "explained_variance = np.var(Xc @ vecs, axis=0)  # divides by n"
        ),
        good=(
            "cov = Xc.T @ Xc / (n - 1)\n"
            "explained_variance = np.var(Xc @ vecs, axis=0, ddof=1)  # matches cov"
        ),
        fix=(
            "Use n - 1 (ddof=1) for PCA's covariance and explained variance, consistently; use "
            "ddof=0 (np.std's default) when standardising features."
        ),
        bites=("pca", "numerics"),
    ),
    Mistake(
        id="regularized-bias",
        title="Putting the L2 penalty on the bias",
        why=(
            "The penalty exists to shrink the weights that multiply features. The bias only "
            "shifts the output; penalising it pulls predictions towards zero for no benefit, and "
            "it is easy to do by accident when w and b are stacked into one vector."
        ),
        detection=(
            "With alpha > 0, the grader calls gradients(X, y) and checks that the bias gradient "
            "equals the unpenalised one (mean residual), while the weight gradient carries the "
            "penalty; it also compares the fitted bias with the reference."
        ),
        bad=("dw = X.T @ (p - y) / n + alpha * w\ndb = np.mean(p - y) + alpha * b"),
        good=("dw = X.T @ (p - y) / n + alpha * w\ndb = np.mean(p - y)  # no penalty on b"),
        fix=(
            "Penalise only the weights: the regulariser is alpha * sum(w**2) (or alpha/2 * ...) "
            "and the bias gradient has no alpha term."
        ),
        bites=("logistic_regression", "linear_regression", "softmax_regression"),
    ),
    Mistake(
        id="gradient-sign",
        title="Wrong sign in the gradient or the update",
        why=(
            "Training minimises the loss, so parameters move against the gradient: "
            "w -= lr * grad. Writing w += lr * grad, or computing the gradient as X.T @ (y - p) "
            "instead of X.T @ (p - y), climbs the loss instead (one sign flip per place, and two "
            "flips cancel, which hides the bug in one function and not the other)."
        ),
        detection=(
            "gradient_check finds gradients(X, y) pointing opposite to central finite "
            "differences of the candidate's own loss, or loss_monotonic sees the full-batch "
            "loss history rise steadily."
        ),
        bad=("grad = X.T @ (y - p) / n  # sign flipped\nw -= lr * grad"),
        good=("grad = X.T @ (p - y) / n  # d loss / d w\nw -= lr * grad"),
        fix=(
            "Compute the gradient of the loss as X.T @ (p - y) / n and subtract it: "
            "w -= learning_rate * grad."
        ),
        bites=(
            "logistic_regression",
            "linear_regression",
            "softmax_regression",
            "neural_network",
            "adam",
        ),
    ),
    Mistake(
        id="wrong-gradient",
        title="Analytic gradient does not match the loss",
        why=(
            "Hand-derived gradients drift from the loss they belong to: the regulariser's term "
            "is forgotten, a factor of 2 or 1/n is dropped, a transpose is misplaced, or the "
            "ReLU derivative uses the activation instead of the pre-activation."
        ),
        detection=(
            "gradient_check perturbs sampled parameter entries by a small epsilon, takes "
            "central finite differences of the candidate's own loss(X, y), and compares them "
            "with gradients(X, y); a relative error above 1e-5 fails."
        ),
        bad=(
            "loss = bce(y, p) + alpha * np.sum(w**2)\n"
            "dw = X.T @ (p - y) / n  # regulariser's term missing"
        ),
        good=("loss = bce(y, p) + alpha * np.sum(w**2)\ndw = X.T @ (p - y) / n + 2 * alpha * w"),
        fix=(
            "Differentiate every term of the loss you return, including the penalty and the "
            "1/n, and verify with central differences: (L(w + eps) - L(w - eps)) / (2 * eps)."
        ),
        bites=(
            "logistic_regression",
            "linear_regression",
            "softmax_regression",
            "neural_network",
        ),
    ),
    Mistake(
        id="empty-cluster",
        title="K-means update on a cluster with no points",
        why=(
            "A centroid can lose all its points (bad initialisation, duplicates, an outlier "
            "seed). The mean of an empty slice is nan with a warning, and a nan centroid is "
            "never closest to anything, so the cluster stays dead and the nan spreads to inertia."
        ),
        detection=(
            "The grader fits on data with duplicate points and a seed that leaves a cluster "
            "empty, then checks that centroids and inertia are finite and that k clusters are "
            "still in use."
        ),
        bad=("for j in range(k):\n    centroids[j] = X[labels == j].mean(axis=0)"),
        good=(
            "for j in range(k):\n"
            "    members = X[labels == j]\n"
            "    if len(members):\n"
            "        centroids[j] = members.mean(axis=0)\n"
            "    else:  # re-seed at the point farthest from its centroid (d2: n x k)\n"
            "        centroids[j] = X[np.argmax(d2.min(axis=1))]"
        ),
        fix=(
            "Check the member count before averaging; re-seed an empty cluster at the point "
            "farthest from its centroid (or a random point), or keep its previous centroid."
        ),
        bites=("kmeans",),
    ),
    Mistake(
        id="input-mutation",
        title="Modifying the caller's arrays",
        why=(
            "In-place operators (-=, /=, [...] =) on a parameter write into the caller's "
            "array. np.asarray(X) returns the same object when X is already an array, so it "
            "does not protect you either. The caller's data silently changes between calls."
        ),
        detection=(
            "The grader keeps copies of every array it passes (X, y, params, grads) and "
            "compares the originals with them after each call."
        ),
        bad=(
            "def fit(self, X, y):\n"
            "    X -= X.mean(axis=0)  # writes into the caller's X\n"
            "    X /= X.std(axis=0)"
        ),
        good=(
            "def fit(self, X, y):\n"
            "    X = np.array(X, dtype=float)  # a private copy\n"
            "    X = (X - X.mean(axis=0)) / X.std(axis=0)"
        ),
        fix=(
            "Never use in-place operators on arguments: write X = X - mean, or copy first with "
            "np.array(X, dtype=float); Adam's step must return new arrays."
        ),
        bites=_ALL,
    ),
    Mistake(
        id="division-by-zero",
        title="Dividing by a quantity that can be zero",
        why=(
            "A constant column has zero standard deviation, an empty cluster has zero members, "
            "an all-zero vector has zero norm and an empty child node has zero samples. x / 0 "
            "is inf and 0 / 0 is nan, and both propagate silently."
        ),
        detection=(
            "The grader includes zero-variance columns and empty clusters or splits, and checks "
            "that every output is finite (a constant column standardises to 0)."
        ),
        bad=("X_std = (X - X.mean(axis=0)) / X.std(axis=0)  # nan for a constant column"),
        good=("sd = X.std(axis=0)\nX_std = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)"),
        fix=(
            "Guard every denominator that data can make zero: replace zeros with 1 "
            "(np.where(sd > 0, sd, 1.0)) or add a small epsilon such as 1e-8."
        ),
        bites=(
            "numerics",
            "kmeans",
            "linear_regression",
            "logistic_regression",
            "decision_tree",
            "pca",
            "adam",
        ),
    ),
    Mistake(
        id="negative-sqrt",
        title="Square root of a tiny negative squared distance",
        why=(
            "The fast distance formula |x|^2 + |y|^2 - 2 x.y suffers cancellation: for "
            "identical or very close points it can come out as -1e-13 instead of 0, and "
            "np.sqrt of a negative number is nan."
        ),
        detection=(
            "The grader passes duplicate points (and points with large coordinates) to "
            "pairwise_distances / predict and checks the distances are 0, not nan."
        ),
        bad=(
            "d2 = (X**2).sum(1)[:, None] + (Y**2).sum(1) - 2 * X @ Y.T\n"
            "d = np.sqrt(d2)  # nan where d2 rounded below 0"
        ),
        good=(
            "d2 = (X**2).sum(1)[:, None] + (Y**2).sum(1) - 2 * X @ Y.T\n"
            "d = np.sqrt(np.maximum(d2, 0.0))"
        ),
        fix="Clamp squared distances at zero before the root: np.sqrt(np.maximum(d2, 0.0)).",
        bites=("knn", "kmeans", "numerics"),
    ),
    Mistake(
        id="matrix-inversion",
        title="Inverting a singular or ill-conditioned matrix",
        why=(
            "The normal equation w = inv(X.T X) X.T y needs X.T X to be invertible. With "
            "perfectly correlated (duplicated) features it is singular: np.linalg.inv raises or, "
            "after rounding, returns huge meaningless numbers. Explicit inversion is also "
            "slower and less accurate than solving."
        ),
        detection=(
            "The grader fits method='normal' on data with a duplicated feature and checks that "
            "the predictions are finite and match the reference's minimum-norm least squares."
        ),
        bad=("Xb = np.c_[X, np.ones(len(X))]\ntheta = np.linalg.inv(Xb.T @ Xb) @ Xb.T @ y"),
        good=(
            "Xb = np.c_[X, np.ones(len(X))]\n"
            "theta = np.linalg.lstsq(Xb, y, rcond=None)[0]\n"
            "w, b = theta[:-1], theta[-1]"
        ),
        fix=(
            "Do not call np.linalg.inv: use np.linalg.lstsq (or pinv), or np.linalg.solve on "
            "X.T X + alpha * I when a ridge penalty is in play."
        ),
        bites=("linear_regression",),
    ),
    Mistake(
        id="vanishing-gradients",
        title="Gradients that shrink to nothing in early layers",
        why=(
            "Each layer multiplies the backward signal by its activation's derivative and its "
            "weights. Sigmoid's derivative is at most 0.25 and nearly 0 when saturated, and "
            "tiny initial weights shrink it further, so the first layers stop learning."
        ),
        detection=(
            "The grader trains the network on a small non-linear task (XOR) and inspects "
            "gradients(X, y): first-layer gradients that are vanishingly small compared with "
            "the last layer's, or a loss that stalls, fail."
        ),
        bad=(
            "W1 = rng.normal(0, 0.001, (d_in, d_hidden))  # tiny weights\n"
            "h = 1 / (1 + np.exp(-(X @ W1 + b1)))  # sigmoid hidden layer"
        ),
        good=(
            "W1 = rng.normal(0, np.sqrt(2 / d_in), (d_in, d_hidden))  # He init\n"
            "z1 = X @ W1 + b1\n"
            "h = np.maximum(z1, 0)  # ReLU, derivative (z1 > 0)"
        ),
        fix=(
            "Use ReLU in hidden layers with He initialisation (std sqrt(2 / fan_in)), as the "
            "problem asks; keep sigmoid/softmax for the output only."
        ),
        bites=("neural_network",),
    ),
    Mistake(
        id="exploding-gradients",
        title="Gradients or parameters that blow up to inf or nan",
        why=(
            "A learning rate too large for the data's scale, large initial weights or deep "
            "products of large Jacobians make each update overshoot more than the last, until "
            "the weights overflow and the loss becomes inf or nan."
        ),
        detection=(
            "The grader trains with the given learning rate and checks that loss_history, the "
            "weights and predictions stay finite."
        ),
        bad=(
            "W1 = rng.normal(0, 10, (d_in, d_hidden))  # far too large\n"
            "W1 -= lr * dW1  # no guard on the step"
        ),
        good=(
            "W1 = rng.normal(0, np.sqrt(2 / d_in), (d_in, d_hidden))\n"
            "norm = np.linalg.norm(dW1)\n"
            "dW1 = dW1 * min(1.0, 5.0 / (norm + 1e-12))  # clip by norm\n"
            "W1 -= lr * dW1"
        ),
        fix=(
            "Initialise weights with std sqrt(2 / fan_in), scale the features, and clip "
            "gradients (by value with np.clip or by norm) before the update."
        ),
        bites=("neural_network", "linear_regression", "logistic_regression", "softmax_regression"),
    ),
    Mistake(
        id="bad-initialization",
        title="Initialising parameters badly",
        why=(
            "All-zero weights make every hidden unit compute the same thing and receive the "
            "same gradient, so they never become different (and with ReLU, zero weights give "
            "zero gradients everywhere). Huge weights saturate; ignoring random_state makes runs "
            "unrepeatable. In k-means, centroids that start identical or away from the data "
            "collapse into fewer clusters."
        ),
        detection=(
            "The grader checks that the network learns XOR and that its hidden units differ "
            "after fit; for k-means that well-separated blobs give k distinct centroids and "
            "that the same random_state gives the same result."
        ),
        bad=(
            "W1 = np.zeros((d_in, d_hidden))  # every hidden unit identical\n"
            "centroids = np.zeros((k, X.shape[1]))"
        ),
        good=(
            "rng = np.random.default_rng(self.random_state)\n"
            "W1 = rng.normal(0, np.sqrt(2 / d_in), (d_in, d_hidden))\n"
            "centroids = X[rng.choice(len(X), k, replace=False)]"
        ),
        fix=(
            "Draw weights at random with std sqrt(2 / fan_in) from a generator seeded with "
            "random_state (biases may be zero); seed k-means with k distinct data points "
            "(or k-means++)."
        ),
        bites=("neural_network", "kmeans"),
    ),
    Mistake(
        id="cannot-overfit",
        title="Cannot fit a handful of training points",
        why=(
            "A correct model with enough iterations fits 4-6 easy points perfectly. When it "
            "cannot, something basic is broken: predict does not return the class that "
            "predict_proba makes most probable (the logit thresholded at 0.5, scores without "
            "their bias), labels are off by one, or k=1 neighbours skips the point itself."
        ),
        detection=(
            "overfit_tiny fits 4-6 points (the four points at +-1 on each axis for logistic "
            "regression, XOR for the network, k=1 for neighbours) and requires perfect training "
            "accuracy; where there are probabilities, predict must give the most probable "
            "class at points between the classes too."
        ),
        bad=("def predict(self, X):\n    return (X @ self.w + self.b >= 0.5).astype(int)  # logit"),
        good=(
            "def predict(self, X):\n"
            "    return (self.predict_proba(X) >= 0.5).astype(int)  # probability"
        ),
        fix=(
            "Make predict return the class the model favours (probability at least 0.5, the "
            "largest probability in a row, a training point's own label at k=1) and check you "
            "reach 100% accuracy on a handful of points before anything else."
        ),
        bites=(
            "logistic_regression",
            "linear_regression",
            "softmax_regression",
            "knn",
            "decision_tree",
            "neural_network",
        ),
    ),
    Mistake(
        id="wrong-solution",
        title="Result disagrees with the reference",
        why=(
            "The code runs and looks plausible but converges to the wrong place: it stops on a "
            "loose tolerance long before convergence, never updates the bias, uses a different "
            "loss or formula, breaks ties differently from the stated rule, or returns the "
            "wrong attribute."
        ),
        detection=(
            "known_solution and matches_reference compare outputs on hidden data with the "
            "reference solution's (and with a known answer, e.g. y = 3x + 2 gives weight 3 and "
            "bias 2 within 0.01) within a stated tolerance."
        ),
        bad=(
            "for _ in range(self.n_iterations):\n"
            "    loss = self._step(X, y)\n"
            "    if abs(prev - loss) < 1e-2:  # stops long before convergence\n"
            "        break\n"
            "    prev = loss"
        ),
        good=(
            "for _ in range(self.n_iterations):\n"
            "    loss = self._step(X, y)\n"
            "    if abs(prev - loss) < 1e-10 * max(1.0, abs(prev)):  # tight, relative\n"
            "        break\n"
            "    prev = loss"
        ),
        fix=(
            "Use a tight relative tolerance (or run all n_iterations), follow the stated "
            "formulas and tie rules exactly, and test against a known answer such as y = 3x + 2."
        ),
        bites=_ALL,
    ),
    Mistake(
        id="loss-not-decreasing",
        title="Full-batch loss history rises or oscillates",
        why=(
            "Full-batch gradient descent with a small enough step never increases the loss. A "
            "history that goes up means the step is too large, momentum overshoots, or what was "
            "recorded was a noisy mini-batch loss rather than the loss on all of X."
        ),
        detection=(
            "loss_monotonic fits on full-batch data and requires every loss_history entry to be "
            "no larger than the previous one (up to 1e-10); a steady rise cites gradient-sign "
            "instead."
        ),
        bad=(
            "idx = rng.choice(n, 32)  # mini-batch\n"
            "self._step(X[idx], y[idx])\n"
            "self.loss_history.append(self.loss(X[idx], y[idx]))  # noisy"
        ),
        good=(
            "dw, db = self.gradients(X, y)  # full batch\n"
            "self.weights -= self.learning_rate * dw\n"
            "self.bias -= self.learning_rate * db\n"
            "self.loss_history.append(self.loss(X, y))"
        ),
        fix=(
            "Use plain full-batch gradient descent with the given learning rate, no momentum, "
            "and record loss(X, y) on the whole training set after each step."
        ),
        bites=_GD,
    ),
    Mistake(
        id="edge-case",
        title="Breaks on an edge case",
        why=(
            "Code written for the typical case fails on one sample, one feature, all labels "
            "equal, k equal to n or extreme magnitudes: np.squeeze turns a one-sample answer "
            "into a 0-d scalar, 1-D X is taken as one sample, or classes from np.unique(y) "
            "collapse to one when all labels agree."
        ),
        detection=(
            "The grader fits and predicts on one sample, one feature, identical labels, k == n "
            "and values near 1e6 / 1e-6, and checks output shapes, finiteness and values."
        ),
        bad=(
            "def fit(self, X, y):\n"
            "    self.classes = np.unique(y)  # only one class when all labels agree\n"
            "def predict(self, X):\n"
            "    return np.squeeze(X @ self.w + self.b)  # 0-d scalar for one sample"
        ),
        good=(
            "def fit(self, X, y):\n"
            "    X = np.asarray(X, dtype=float).reshape(len(X), -1)  # 1-D X: one feature\n"
            "    self.classes = np.arange(2)  # fixed by the problem, not by y\n"
            "def predict(self, X):\n"
            "    return (X @ self.w + self.b).reshape(-1)  # always shape (n,)"
        ),
        fix=(
            "Keep shapes explicit with reshape(-1) instead of squeeze, fix the class set from "
            "the problem (0/1 or 0..K-1) rather than from y, and try n=1, d=1 and one class."
        ),
        bites=_ALL,
    ),
    Mistake(
        id="unvectorized",
        title="Python loops over samples",
        why=(
            "A Python-level loop costs microseconds per iteration; NumPy does the same work in "
            "compiled code over whole arrays. A loop over samples is fine on 10 points and "
            "many times slower on 20,000 - and interviewers read it as not knowing NumPy."
        ),
        detection=(
            "vectorized times fit/predict on a large input beside the reference solution in the "
            "same run; more than 10x the reference's time fails."
        ),
        bad=(
            "preds = []\n"
            "for x in X:  # one Python iteration per sample\n"
            "    d = np.sqrt(((self.X - x) ** 2).sum(axis=1))\n"
            "    preds.append(self._vote(d))"
        ),
        good=(
            "d2 = (X**2).sum(1)[:, None] + (self.X**2).sum(1) - 2 * X @ self.X.T\n"
            "nearest = np.argsort(d2, axis=1, kind='stable')[:, : self.k]\n"
            "votes = self.y[nearest]  # (n, k) labels, vote with bincount"
        ),
        fix=(
            "Replace loops over samples with matrix operations: X @ w, broadcasting for "
            "distances, fancy indexing and np.bincount / np.add.at for counts."
        ),
        bites=(
            "logistic_regression",
            "linear_regression",
            "softmax_regression",
            "kmeans",
            "knn",
            "neural_network",
            "pca",
            "numerics",
        ),
    ),
    Mistake(
        id="banned-library",
        title="Using a machine-learning or scientific library",
        why=(
            "The exercise is to implement the algorithm in NumPy. Importing scikit-learn, "
            "torch, tensorflow, jax or scipy (even for one helper such as expit or cdist) "
            "defeats the point, and an interviewer would stop you."
        ),
        detection=(
            "numpy_only reads the file's import statements and checks which modules are loaded "
            "after it is imported; sklearn, torch, tensorflow, jax or scipy fails."
        ),
        bad=("from scipy.special import expit\nfrom sklearn.metrics import pairwise_distances"),
        good=(
            "def sigmoid(z):\n"
            "    e = np.exp(-np.abs(z))\n"
            "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))"
        ),
        fix=(
            "Remove the import and write the helper in NumPy; only numpy and the standard "
            "library are allowed."
        ),
        bites=_ALL,
    ),
    Mistake(
        id="api-contract",
        title="The required interface is missing",
        why=(
            "The grader calls the names the problem asks for. A method renamed beyond the "
            "common aliases, a missing attribute, a fit that returns None instead of self, or a "
            "wrong output shape breaks every probe that needs it."
        ),
        detection=(
            "Before a probe runs, the grader looks up the names it needs (accepting common "
            "aliases such as lr, n_iters, coef_ or train); a missing one fails that probe and "
            "the rest still run."
        ),
        bad=(
            "class LogisticRegression:\n"
            "    def fit(self, X, y):\n"
            "        self.w = self._train(X, y)  # returns None, not self\n"
            "    def classify(self, X): ...  # interface asks for predict"
        ),
        good=(
            "class LogisticRegression:\n"
            "    def fit(self, X, y):\n"
            "        self.weights = self._train(X, y)\n"
            "        return self\n"
            "    def predict(self, X): ..."
        ),
        fix=(
            "Match the interface in the statement (`coach show PROBLEM`): class and method "
            "names, constructor parameters, attributes, and return self from fit."
        ),
        bites=_ALL,
    ),
    Mistake(
        id="crash",
        title="The code raised, exited or crashed",
        why=(
            "An exception in a call, a sys.exit or input() at import time, demo code at module "
            "level that uses undefined data, or a segfault kills the call the grader made."
        ),
        detection=(
            "The worker running the candidate's code reported an exception (shown with its "
            "line), exited, or died; the probe is marked error, the worker is restarted and "
            "grading goes on."
        ),
        bad=(
            "model = LogisticRegression().fit(X_demo, y_demo)  # runs on import\n"
            "print(model.predict(X_demo))"
        ),
        good=(
            'if __name__ == "__main__":  # demo runs only as a script\n'
            "    model = LogisticRegression().fit(X_demo, y_demo)\n"
            "    print(model.predict(X_demo))"
        ),
        fix=(
            "Read the error and line in the report; put demo code under "
            'if __name__ == "__main__": and run `coach check FILE` for fast feedback.'
        ),
        bites=_ALL,
    ),
    Mistake(
        id="timeout",
        title="A call did not finish in time",
        why=(
            "A convergence loop whose exit condition never holds, an n_iterations ignored in "
            "favour of while True, recursion that never reaches a leaf, or a quadratic loop on "
            "a large input keeps a call running past its limit."
        ),
        detection=(
            "Each call to the candidate's code has a wall-time limit; when it expires the "
            "worker is killed, the probe is marked timeout and grading goes on."
        ),
        bad=(
            "while abs(prev - loss) > 1e-12:  # may never hold\n"
            "    prev, loss = loss, self._step(X, y)"
        ),
        good=(
            "for _ in range(self.n_iterations):  # bounded\n"
            "    prev, loss = loss, self._step(X, y)\n"
            "    if abs(prev - loss) < self.tol:\n"
            "        break"
        ),
        fix=(
            "Bound every loop by n_iterations / max_iter, stop recursion at pure or too-small "
            "nodes, and vectorise work over samples."
        ),
        bites=_ALL,
    ),
)

MISTAKES: dict[str, Mistake] = {m.id: m for m in _ENTRIES}

STABILITY_TABLE: tuple[tuple[str, str, str], ...] = (
    (
        "log(0) = -inf",
        "a probability rounds to exactly 0 or 1",
        "clip first: np.log(np.clip(p, 1e-15, 1 - 1e-15)), or work with log-softmax",
    ),
    (
        "softmax / logsumexp overflow",
        "exp of a logit above ~709",
        "subtract the row max: exp(z - z.max(axis=-1, keepdims=True))",
    ),
    (
        "sigmoid overflow",
        "exp(-z) for very negative z (np.where runs both branches)",
        "use e = exp(-|z|) in both branches, or clip z to [-500, 500]",
    ),
    (
        "division by zero",
        "constant column, empty cluster, zero norm",
        "guard the denominator: np.where(sd > 0, sd, 1.0) or + 1e-8",
    ),
    (
        "sqrt of a negative",
        "rounding in |x|^2 + |y|^2 - 2 x.y",
        "np.sqrt(np.maximum(d2, 0.0))",
    ),
    (
        "singular matrix",
        "correlated or duplicated features in X.T @ X",
        "np.linalg.lstsq / solve instead of inv; add alpha * I",
    ),
    (
        "vanishing gradients",
        "saturating sigmoid/tanh, tiny weights, depth",
        "ReLU hidden layers, He init (std sqrt(2 / fan_in))",
    ),
    (
        "exploding gradients",
        "step too large, big initial weights, unscaled features",
        "smaller step, scale features, clip gradients (np.clip or by norm)",
    ),
    (
        "Adam's first steps too small",
        "moment estimates start at 0",
        "bias-correct: m / (1 - beta1**t), v / (1 - beta2**t)",
    ),
)


def get_mistake(mistake_id: str) -> Mistake:
    """Return the entry for `mistake_id`; raise CoachError with a "did you mean" if unknown."""
    import difflib

    key = mistake_id.strip().lower().replace("_", "-")
    try:
        return MISTAKES[key]
    except KeyError:
        pass
    close = difflib.get_close_matches(key, list(MISTAKES), n=1, cutoff=0.5)
    if not close:
        close = [m for m in MISTAKES if key and (key in m or m in key)][:1]
    hint = f" (did you mean '{close[0]}'?)" if close else " (see `coach mistakes` for the list)"
    raise CoachError(f"unknown mistake '{mistake_id}'{hint}")


def render_catalogue(console: Console) -> None:
    """Print the table of all mistakes, then the numerical-stability cheat sheet."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Mistake catalogue", title_justify="left", expand=False)
    table.add_column("id", style="bold cyan", no_wrap=True)
    table.add_column("mistake")
    table.add_column("where it bites", style="dim")
    for m in MISTAKES.values():
        where = "all problems" if set(m.bites) == set(PROBLEM_IDS) else ", ".join(m.bites)
        table.add_row(m.id, escape(m.title), escape(where))
    console.print(table)

    sheet = Table(title="Numerical stability cheat sheet", title_justify="left")
    sheet.add_column("problem", style="bold")
    sheet.add_column("cause")
    sheet.add_column("solution", style="green")
    for row in STABILITY_TABLE:
        sheet.add_row(*(escape(cell) for cell in row))
    console.print(sheet)
    console.print("Details of one entry: [bold]coach mistakes ID[/bold]")


def render_mistake(console: Console, mistake_id: str) -> None:
    """Print one catalogue entry with its bad and good code."""
    from rich.markup import escape
    from rich.panel import Panel
    from rich.syntax import Syntax

    m = get_mistake(mistake_id)
    console.print(f"[bold]{escape(m.title)}[/bold]  [dim]({m.id})[/dim]")
    console.print()
    console.print("[bold]Why it happens[/bold]")
    console.print(escape(m.why))
    console.print()
    console.print("[bold]How coach detects it[/bold]")
    console.print(escape(m.detection))
    console.print()
    for label, code, style in (("Bad", m.bad, "red"), ("Good", m.good, "green")):
        syntax = Syntax(code, "python", theme="ansi_dark", word_wrap=True)
        console.print(Panel(syntax, title=label, title_align="left", border_style=style))
    console.print()
    console.print("[bold]Fix[/bold]")
    console.print(escape(m.fix))
    console.print()
    where = "all problems" if set(m.bites) == set(PROBLEM_IDS) else ", ".join(m.bites)
    console.print(f"[bold]Where it bites:[/bold] {escape(where)}")


# -- advice fitted to the problem graded and to the error seen ---------------------------------
_LINEAR_STEP = (
    "error = X @ self.weights + self.bias - y  # (n,)\n"
    "dw = X.T @ error / len(y) + 2 * self.alpha * self.weights\n"
    "db = error.mean()  # no penalty on the bias"
)
_LOGISTIC_STEP = (
    "p = sigmoid(X @ self.weights + self.bias)  # every row at once\n"
    "dw = X.T @ (p - y) / len(y) + 2 * self.alpha * self.weights\n"
    "db = np.mean(p - y)  # no penalty on the bias"
)

_SOFTMAX_STEP = (
    "P = softmax(X @ self.weights + self.bias)  # (n, K), every row at once\n"
    "Y = np.eye(self.weights.shape[1])[y]  # one-hot with the model's K columns\n"
    "dW = X.T @ (P - Y) / len(X) + 2 * self.alpha * self.weights\n"
    "db = (P - Y).mean(axis=0)  # (K,), no penalty on the bias"
)
_KNN_DISTANCES = (
    "d2 = (X**2).sum(1)[:, None] + (self.X**2).sum(1) - 2 * X @ self.X.T\n"
    "d = np.sqrt(np.maximum(d2, 0.0))  # a training point is at distance 0 from itself"
)

# (mistake, problem) -> the good snippet to show for that problem, where the entry's own
# snippet is written for another one
VARIANTS: dict[tuple[str, str], str] = {
    ("log-of-zero", "softmax_regression"): (
        "P = np.clip(softmax(X @ self.weights + self.bias), 1e-15, 1.0)\n"
        "loss = -np.mean(np.log(P[np.arange(len(y)), y]))  # never log(0)"
    ),
    ("regularized-bias", "softmax_regression"): _SOFTMAX_STEP,
    ("unvectorized", "softmax_regression"): _SOFTMAX_STEP,
    ("wrong-gradient", "softmax_regression"): (
        "loss = -np.mean(np.log(P[np.arange(n), y])) + alpha * np.sum(W**2)\n"
        "dW = X.T @ (P - Y) / n + 2 * alpha * W  # the derivative of exactly that loss\n"
        "db = (P - Y).mean(axis=0)"
    ),
    ("cannot-overfit", "softmax_regression"): (
        "def predict(self, X):\n"
        "    return np.argmax(self.predict_proba(X), axis=1)  # bias included, as in proba"
    ),
    ("edge-case", "softmax_regression"): (
        "K = int(np.max(y)) + 1  # labels {0, 2} still make three classes\n"
        "Y = np.eye(self.weights.shape[1])[y]  # the model's K on any batch"
    ),
    ("api-contract", "softmax_regression"): (
        "class SoftmaxRegression:\n"
        "    def fit(self, X, y):\n"
        "        ...\n"
        "        return self\n"
        "    def predict_proba(self, X): ...  # (n, K)\n"
        "    def gradients(self, X, y): ...  # returns (dW, db)"
    ),
    ("banned-library", "softmax_regression"): (
        "def softmax(z):\n"
        "    e = np.exp(z - z.max(axis=1, keepdims=True))\n"
        "    return e / e.sum(axis=1, keepdims=True)"
    ),
    ("cannot-overfit", "knn"): (
        _KNN_DISTANCES + "\nnearest = np.argsort(d, axis=1, kind='stable')[:, : self.k]"
    ),
    ("banned-library", "knn"): _KNN_DISTANCES,
    ("edge-case", "knn"): (
        "if self.k > len(X):\n"
        "    raise ValueError(f'k={self.k} is larger than the {len(X)} training points')\n"
        "votes = np.bincount(labels_of_row, minlength=n_classes)\n"
        "label = np.argmax(votes)  # the first maximum: ties go to the smallest label"
    ),
    ("wrong-solution", "knn"): (
        _KNN_DISTANCES + "\n"
        "nearest = np.argsort(d, axis=1, kind='stable')[:, : self.k]\n"
        "votes = self.y[nearest]  # (m, k): the majority of these is the answer"
    ),
    ("api-contract", "knn"): (
        "class KNNClassifier:\n"
        "    def __init__(self, k=3): ...\n"
        "    def fit(self, X, y):\n"
        "        ...\n"
        "        return self\n"
        "    def predict(self, X): ...  # (m,) labels"
    ),
    ("unstable-softmax", "numerics"): (
        "def softmax(z, axis=-1):\n"
        "    e = np.exp(z - z.max(axis=axis, keepdims=True))  # every exponent <= 0\n"
        "    return e / e.sum(axis=axis, keepdims=True)"
    ),
    ("wrong-axis", "numerics"): (
        "m = z.max(axis=axis, keepdims=True)  # the axis asked for, kept for broadcasting\n"
        "out = m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))\n"
        "mu = X.mean(axis=0)  # standardize: one mean per column"
    ),
    ("log-of-zero", "numerics"): (
        "def binary_cross_entropy(y, p):\n"
        "    p = np.clip(p, 1e-15, 1 - 1e-15)  # log never sees 0\n"
        "    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))"
    ),
    ("edge-case", "numerics"): (
        "def one_hot(labels, n_classes):\n"
        "    return np.eye(n_classes)[labels]  # n_classes columns, not labels.max() + 1"
    ),
    ("unvectorized", "numerics"): (
        "def top_k(scores, k):\n"
        "    part = np.argpartition(-scores, k - 1)[:k]  # the k largest, in linear time\n"
        "    cut = scores[part].min()  # equal scores at the cut: keep the smallest indices\n"
        "    above = np.flatnonzero(scores > cut)\n"
        "    part = np.r_[above, np.flatnonzero(scores == cut)[: k - above.size]]\n"
        "    return part[np.lexsort((part, -scores[part]))]  # then sort only those"
    ),
    ("wrong-solution", "numerics"): (
        "def standardize(X):\n"
        "    sd = X.std(axis=0)  # population std (ddof=0), as asked\n"
        "    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)"
    ),
    ("api-contract", "numerics"): (
        "def softmax(z, axis=-1): ...  # module functions: the names and parameters asked\n"
        "def top_k(scores, k): ...  # returns (k,) indices"
    ),
    ("unvectorized", "logistic_regression"): _LOGISTIC_STEP,
    ("unvectorized", "linear_regression"): _LINEAR_STEP,
    ("regularized-bias", "linear_regression"): _LINEAR_STEP,
    ("gradient-sign", "linear_regression"): (
        "dw, db = self.gradients(X, y)  # the gradient points uphill\n"
        "self.weights = self.weights - self.learning_rate * dw  # so step against it\n"
        "self.bias = self.bias - self.learning_rate * db"
    ),
    ("wrong-gradient", "linear_regression"): (
        "def loss(self, X, y):\n"
        "    error = X @ self.weights + self.bias - y\n"
        "    return np.mean(error**2) / 2 + self.alpha * np.sum(self.weights**2)\n\n"
        "def gradients(self, X, y):  # the derivative of exactly that loss\n"
        "    error = X @ self.weights + self.bias - y\n"
        "    return X.T @ error / len(y) + 2 * self.alpha * self.weights, error.mean()"
    ),
    ("edge-case", "linear_regression"): (
        "def fit(self, X, y):\n"
        "    X = np.asarray(X, dtype=float).reshape(len(X), -1)  # 1-D X: one feature\n"
        "    std = X.std(axis=0)\n"
        "    std = np.where(std > 0, std, 1.0)  # one sample, or a constant column\n"
        "def predict(self, X):\n"
        "    return (X @ self.weights + self.bias).reshape(-1)  # always shape (n,)"
    ),
    ("api-contract", "linear_regression"): (
        "class LinearRegression:\n"
        "    def fit(self, X, y):\n"
        "        ...\n"
        "        return self\n"
        "    def predict(self, X): ...\n"
        "    def loss(self, X, y): ...\n"
        "    def gradients(self, X, y): ...  # returns (dw, db)"
    ),
    # k-means
    ("wrong-solution", "kmeans"): (
        "for _ in range(self.max_iter):\n"
        "    labels = np.argmin(((X[:, None] - C[None]) ** 2).sum(axis=2), axis=1)\n"
        "    new = np.array([X[labels == j].mean(0) if np.any(labels == j) else C[j]\n"
        "                    for j in range(len(C))])  # a new array, not C itself\n"
        "    moved, C = np.max(((new - C) ** 2).sum(axis=1)), new\n"
        "    if moved <= self.tol:\n"
        "        break"
    ),
    ("loss-not-decreasing", "kmeans"): (
        "labels = np.argmin(((X[:, None] - C[None]) ** 2).sum(axis=2), axis=1)  # every point\n"
        "C = np.array([X[labels == j].mean(axis=0) if np.any(labels == j) else C[j]\n"
        "              for j in range(len(C))])  # the mean, exactly: no step size"
    ),
    ("api-contract", "kmeans"): (
        "rng = np.random.default_rng(self.random_state)  # every draw comes from here\n"
        "C = X[rng.choice(len(X), self.n_clusters, replace=False)]"
    ),
    ("edge-case", "kmeans"): (
        "starts = rng.choice(len(X), k, replace=False)  # k distinct points, even k = n\n"
        "C = X[starts].reshape(k, X.shape[1])  # (k, d) also for k = 1"
    ),
    ("unvectorized", "kmeans"): (
        "d2 = (X**2).sum(1)[:, None] + (C**2).sum(1)[None, :] - 2 * X @ C.T  # (n, k)\n"
        "labels = np.argmin(d2, axis=1)  # a loop over the k clusters is fine, not over X"
    ),
    ("input-mutation", "kmeans"): (
        "def fit(self, X):\n"
        "    X = np.array(X, dtype=float)  # a private copy: centring it is safe now\n"
        "    X = X - X.mean(axis=0)"
    ),
    # PCA
    ("wrong-solution", "pca"): (
        "values, vectors = np.linalg.eigh(Xc.T @ Xc / (n - 1))\n"
        "order = np.argsort(values)[::-1]  # largest first: values and vectors together\n"
        "self.components = vectors[:, order[:k]].T  # eigh's columns, as rows\n"
        "self.explained_variance = values[order[:k]]\n"
        "self.explained_variance_ratio = self.explained_variance / values.sum()  # total"
    ),
    ("wrong-axis", "pca"): (
        "self.mean = X.mean(axis=0)  # one mean per feature\n"
        "cov = np.cov(X, rowvar=False)  # (d, d): features by features"
    ),
    ("edge-case", "pca"): (
        "if not 1 <= self.n_components <= X.shape[1]:\n"
        "    raise ValueError(f'n_components={self.n_components} exceeds {X.shape[1]} features')"
    ),
    ("api-contract", "pca"): (
        "self.components = vectors[:, order[:k]].T  # (k, d): one row per component\n"
        "Z = (X - self.mean) @ self.components.T  # transform: (m, k)"
    ),
    ("input-mutation", "pca"): (
        "def transform(self, X):\n"
        "    return (np.asarray(X, dtype=float) - self.mean) @ self.components.T  # no -="
    ),
    # decision tree
    ("wrong-solution", "decision_tree"): (
        "def entropy(y):\n"
        "    _, counts = np.unique(y, return_counts=True)\n"
        "    p = counts / counts.sum()\n"
        "    return float(-np.sum(p * np.log2(p)))  # bits\n"
        "def information_gain(y, left, right):\n"
        "    w = len(left) / len(y)  # each child weighted by its share\n"
        "    return entropy(y) - w * entropy(left) - (1 - w) * entropy(right)"
    ),
    ("log-of-zero", "decision_tree"): (
        "_, counts = np.unique(y, return_counts=True)  # only labels present: no p of 0\n"
        "p = counts / counts.sum()\n"
        "h = -np.sum(p * np.log2(p))"
    ),
    ("cannot-overfit", "decision_tree"): (
        "X = np.asarray(X, dtype=float)  # midpoints such as 1.5 stay 1.5\n"
        "goes_left = X[:, j] <= threshold  # the same comparison in fit and predict"
    ),
    ("api-contract", "decision_tree"): (
        "deep = self.max_depth is not None and depth >= self.max_depth\n"
        "small = len(y) < self.min_samples_split  # fewer than, not equal to\n"
        "leaf = deep or small or len(np.unique(y)) == 1  # a lone leaf has depth 0"
    ),
    ("edge-case", "decision_tree"): (
        "if not any(np.ptp(X[:, j]) > 0 for j in range(X.shape[1])):  # no split possible\n"
        "    node = {'label': int(np.argmax(np.bincount(codes)))}  # ties to the smallest"
    ),
    ("input-mutation", "decision_tree"): (
        "order = np.argsort(X[:, j])  # sort an index, not the caller's rows\n"
        "xs, ys = X[order, j], y[order]  # new arrays"
    ),
    # neural network
    ("wrong-gradient", "neural_network"): (
        "delta = (probs - onehot) / n  # at the logits\n"
        "for l in reversed(range(len(W))):\n"
        "    dW[l], db[l] = a[l].T @ delta, delta.sum(axis=0)\n"
        "    if l:\n"
        "        delta = (delta @ W[l].T) * (a[l] > 0)  # W transposed, then the ReLU mask"
    ),
    ("gradient-sign", "neural_network"): (
        "dW, db = self.gradients(X, y)  # of the loss itself: P - Y, not Y - P\n"
        "self.weights = [W - self.learning_rate * g for W, g in zip(self.weights, dW)]"
    ),
    ("bad-initialization", "neural_network"): (
        "rng = np.random.default_rng(self.random_state)\n"
        "self.weights = [rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out))\n"
        "                for n_in, n_out in zip(sizes[:-1], sizes[1:])]"
    ),
    ("exploding-gradients", "neural_network"): (
        "W = rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out))  # He: the signal keeps its size"
    ),
    ("cannot-overfit", "neural_network"): (
        "def predict(self, X):\n"
        "    return np.argmax(self.predict_proba(X), axis=1)  # the output layer's classes"
    ),
    ("api-contract", "neural_network"): (
        "rng = np.random.default_rng(self.random_state)  # every draw comes from here\n"
        "self.weights = [rng.normal(0, np.sqrt(2 / a), (a, b)) for a, b in pairs]  # a list"
    ),
    ("edge-case", "neural_network"): (
        "h = np.maximum(a @ W + b, 0)  # (n, units) also for one unit: no squeeze\n"
        "for W, b in zip(self.weights[:-1], self.biases[:-1]):  # any number of layers\n"
        "    a = np.maximum(a @ W + b, 0)"
    ),
    ("log-of-zero", "neural_network"): (
        "z = z - z.max(axis=1, keepdims=True)\n"
        "log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # log-softmax: finite\n"
        "loss = -np.mean(log_p[np.arange(len(y)), y])"
    ),
    ("loss-not-decreasing", "neural_network"): (
        "for _ in range(self.n_iterations):\n"
        "    dW, db = self.gradients(X, y)  # at the current weights, every step\n"
        "    ...\n"
        "    self.loss_history.append(self.loss(X, y))"
    ),
    ("unvectorized", "neural_network"): (
        "a = X  # the whole batch: (n, d)\n"
        "for W, b in zip(self.weights[:-1], self.biases[:-1]):\n"
        "    a = np.maximum(a @ W + b, 0)  # one matrix product per layer, no loop over rows"
    ),
    ("input-mutation", "neural_network"): (
        "def fit(self, X, y):\n"
        "    X = np.array(X, dtype=float)  # a private copy\n"
        "    Y = np.eye(self.layer_sizes[-1])[y]  # a new one-hot array; y is left as it came"
    ),
    # Adam
    ("wrong-solution", "adam"): (
        "self.t += 1\n"
        "self.m = self.beta1 * self.m + (1 - self.beta1) * g\n"
        "self.v = self.beta2 * self.v + (1 - self.beta2) * g**2\n"
        "m_hat = self.m / (1 - self.beta1**self.t)\n"
        "v_hat = self.v / (1 - self.beta2**self.t)\n"
        "new = params - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)"
    ),
    ("division-by-zero", "adam"): (
        "step = m_hat / (np.sqrt(v_hat) + self.epsilon)  # 0 / (0 + eps) is 0, not nan"
    ),
    ("edge-case", "adam"): (
        "params = np.asarray(params, dtype=float)\n"
        "new = params - lr * m_hat / (np.sqrt(v_hat) + eps)  # same shape: no ravel, no squeeze"
    ),
    ("input-mutation", "adam"): (
        "def step(self, params, grads):\n"
        "    ...\n"
        "    return params - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)"
    ),
    ("api-contract", "adam"): (
        "class Adam:\n"
        "    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8): ...\n"
        "    def step(self, params, grads): ...  # returns the new params"
    ),
}

# (mistake, problem) -> the fix to give for that problem, where the entry's own is another's
FIX_VARIANTS: dict[tuple[str, str], str] = {
    ("edge-case", "knn"): (
        "Follow the statement at the edges: a vote tie goes to the smallest label, k equal to "
        "n lets every point vote, k larger than n raises a ValueError, and labels come back "
        "as themselves (they need not be 0..K-1); try one point and one feature."
    ),
    ("edge-case", "numerics"): (
        "Size outputs from the arguments, not from the data seen: one_hot has n_classes "
        "columns even when a class never occurs, and top_k returns exactly k indices."
    ),
    ("wrong-solution", "knn"): (
        "Predict the majority label of the k nearest training points by Euclidean distance, "
        "ties to the smallest label, and compare with a brute-force loop on a few points."
    ),
    ("wrong-solution", "kmeans"): (
        "Alternate assignment to the nearest centroid and the mean update until the centroids "
        "move by at most tol (copy the old centroids first, or the shift is always 0); "
        "compute labels and inertia from the final centroids, inertia squared and summed."
    ),
    ("loss-not-decreasing", "kmeans"): (
        "Each round assigns every point to its nearest centroid (squared Euclidean) and moves "
        "every centroid to the exact mean of its points: mini-batches, damped or overshooting "
        "moves and other distances can raise the inertia."
    ),
    ("api-contract", "kmeans"): (
        "Draw every random choice (starts and re-seeds) from one generator seeded with "
        "random_state, and keep to the interface's names (`coach show kmeans`)."
    ),
    ("edge-case", "kmeans"): (
        "Keep centroids (k, d) for every k, even k = 1, and start from k distinct points "
        "(replace=False), so that k = n puts every point in its own cluster."
    ),
    ("unvectorized", "kmeans"): (
        "Compute the (n, k) matrix of squared distances at once, by broadcasting or the "
        "expanded formula; a loop over the k clusters is fine, a loop over the points is not."
    ),
    ("wrong-solution", "pca"): (
        "Sort eigh's eigenvalues in decreasing order and take the matching columns of its "
        "vector matrix as rows; divide each ratio by the total variance of all d directions, "
        "and add the mean back in inverse_transform."
    ),
    ("wrong-axis", "pca"): (
        "Means and covariances run over the samples: X.mean(axis=0), Xc.T @ Xc (d x d), "
        "np.cov(X, rowvar=False); square data is where the wrong axis runs silently."
    ),
    ("edge-case", "pca"): (
        "Check n_components against the number of features in fit and raise a ValueError "
        "that says so: k directions cannot be found in fewer than k dimensions."
    ),
    ("api-contract", "pca"): (
        "components is (k, d): one unit-length row per component (transpose eigh's columns), "
        "and the attribute names are those of the statement (`coach show pca`)."
    ),
    ("wrong-solution", "decision_tree"): (
        "Entropy in bits (log2) over the labels present, gini as 1 - sum of p squared, the "
        "gain weighting each child by its share; try every feature, and return the labels "
        "given in y (map internal codes back)."
    ),
    ("log-of-zero", "decision_tree"): (
        "Count only the labels present (np.unique(y, return_counts=True)), so no proportion "
        "is 0: 0 * log2(0) must count as 0, not nan."
    ),
    ("cannot-overfit", "decision_tree"): (
        "With no depth limit, split until a node is pure or no feature has two distinct values; "
        "keep X as floats so midpoints are exact, and route rows with the same comparison "
        "in fit and predict."
    ),
    ("api-contract", "decision_tree"): (
        "Stop at depth == max_depth and below min_samples_split samples (n < min_samples_split), "
        "and count depth in splits: a tree that is one leaf has depth 0."
    ),
    ("edge-case", "decision_tree"): (
        "Make a leaf when the node is pure or no split is possible (identical rows), break "
        "majority ties to the smallest label, and avoid recursing once per row."
    ),
    ("wrong-solution", "numerics"): (
        "Follow each formula in the statement exactly (mean, not sum; population std; "
        "indices best first, equal scores by smaller index) and check small cases by hand."
    ),
    ("wrong-gradient", "neural_network"): (
        "Backpropagate from delta = (P - Y) / n at the logits: dW = a.T @ delta per layer, then "
        "delta @ W.T times the ReLU's mask (a > 0) for the layer below; check every layer "
        "against central differences of your loss."
    ),
    ("gradient-sign", "neural_network"): (
        "Return the gradient of the loss (P - Y at the logits, not Y - P) and subtract it in "
        "fit: W -= learning_rate * dW."
    ),
    ("bad-initialization", "neural_network"): (
        "Start each layer's weights at random, rng.normal(0, sqrt(2 / fan_in)), from a "
        "generator seeded with random_state: equal starts keep every hidden unit identical."
    ),
    ("cannot-overfit", "neural_network"): (
        "predict is the argmax of the output layer's probabilities, and a network with a "
        "hidden layer must fit XOR: check it on the four points first."
    ),
    ("api-contract", "neural_network"): (
        "Keep to the interface (`coach show neural_network`): weights and biases are lists, "
        "gradients returns (list of dW, list of db), and random_state seeds every draw."
    ),
    ("edge-case", "neural_network"): (
        "Loop over layer_sizes rather than naming layers, and keep 2-D arrays throughout "
        "(no squeeze), so one hidden unit and three hidden layers work alike."
    ),
    ("loss-not-decreasing", "neural_network"): (
        "Take every step with the gradient at the current weights, on the whole batch, with the "
        "given learning rate, and append the loss after each step."
    ),
    ("unvectorized", "neural_network"): (
        "Push the whole batch through each layer with one matrix product; a loop over the "
        "layers is fine, a loop over the samples is not."
    ),
    ("wrong-solution", "adam"): (
        "Follow the update exactly: t grows every step, both moments are bias-corrected with "
        "1 - beta^t, epsilon goes after the square root, and the state lives on self."
    ),
    ("division-by-zero", "adam"): (
        "Keep epsilon in the denominator, after the square root: a zero gradient then moves "
        "nothing instead of dividing 0 by 0."
    ),
    ("edge-case", "adam"): (
        "Return an array of the shape given (a vector stays a vector, a matrix a matrix); do "
        "not ravel or squeeze the parameters."
    ),
    ("api-contract", "adam"): (
        "Keep to the interface (`coach show adam`): a class Adam with the four settings and a "
        "method step(params, grads) returning the new parameters."
    ),
}

# what to do about a crash, by what the error says (the first that matches)
CRASH_ADVICE: tuple[tuple[str, str], ...] = (
    (
        "SyntaxError",
        "The file does not parse: fix the line shown (python -m py_compile FILE says the same), "
        "then run `check`.",
    ),
    (
        "not implemented yet",
        "Write the methods the starter leaves raising NotImplementedError; `check` runs the "
        "visible examples on what you have so far.",
    ),
    (
        "No module named",
        "Import only numpy and the standard library: the grader's sandbox has nothing else, "
        "and the interview allows nothing else.",
    ),
    (
        "importing the file failed",
        "Code at the top of the file runs when it is imported: put demo code, input() and "
        'sys.exit under if __name__ == "__main__":.',
    ),
)


def advice(mistake_id: str, problem: str, messages: list[str]) -> tuple[str, str]:
    """(fix, good code) for a mistake in a report on `problem`, fitted to what was seen."""
    entry = MISTAKES.get(mistake_id)
    if entry is None:
        return "", ""
    fix = FIX_VARIANTS.get((mistake_id, problem), entry.fix)
    good = VARIANTS.get((mistake_id, problem), entry.good)
    if mistake_id == "crash":  # the demo snippet fits only a failed import
        seen = "\n".join(messages)
        for marker, text in CRASH_ADVICE:
            if marker in seen:
                return text, good if marker == "importing the file failed" else ""
        good = ""
        fix = (
            "Read the exception and line above: the call raised inside your code. Reproduce "
            "it with the same input (`check` runs the visible examples) and fix that line."
        )
    return fix, good
