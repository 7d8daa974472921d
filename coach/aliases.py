"""The names real candidates use for the interface's parameters, methods and attributes.

Each table maps the contract's name to the alternatives the grader accepts, in the
order they are tried (DESIGN §2). The worker consults them; the report lists which
alternatives were used.
"""

from __future__ import annotations

PARAMETERS: dict[str, tuple[str, ...]] = {
    "learning_rate": ("lr", "eta", "step_size"),
    "n_iterations": (
        "n_iters",
        "n_iter",
        "num_iterations",
        "num_iters",
        "max_iter",
        "max_iters",
        "max_iterations",
        "iterations",
        "epochs",
        "n_epochs",
        "num_epochs",
    ),
    "alpha": ("lambda_", "lambd", "l2", "reg", "reg_lambda", "lambda_param"),
    "n_clusters": ("k", "K", "num_clusters"),
    "k": ("n_neighbors",),
    "layer_sizes": ("sizes", "layer_dims", "layers_dims", "architecture"),
    "max_iter": ("max_iters", "n_iters", "n_iter", "max_iterations", "iterations"),
    "random_state": ("seed", "random_seed", "rng_seed"),
    "n_components": ("num_components", "k", "n_comp"),
    "min_samples_split": ("min_split", "min_samples"),
    "beta1": ("beta_1", "b1"),
    "beta2": ("beta_2", "b2"),
    "epsilon": ("eps",),
}

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "weights": ("w", "W", "w_", "coef_", "coefs_", "Ws", "theta", "beta"),
    "bias": ("b", "b_", "intercept_"),
    "biases": ("b", "B", "bs", "intercepts_", "intercepts"),
    "loss_history": (
        "losses",
        "losses_",
        "cost_",
        "costs",
        "cost_history",
        "history",
        "errors",
        "loss_curve_",
    ),
    "centroids": ("cluster_centers_", "centers", "centroids_"),
    "labels": ("labels_",),
    "inertia": ("inertia_",),
    "components": ("components_",),
    "explained_variance": ("explained_variance_",),
    "explained_variance_ratio": ("explained_variance_ratio_",),
    "mean": ("mean_", "mu"),
}

METHODS: dict[str, tuple[str, ...]] = {
    "fit": ("train",),
    "predict_proba": ("predict_probability", "predict_probabilities", "predict_prob"),
    "loss": ("compute_loss", "cost", "compute_cost"),
    "gradients": ("compute_gradients", "gradient", "grads"),
    "get_depth": ("depth",),
}


def candidates(table: dict[str, tuple[str, ...]], name: str) -> tuple[str, ...]:
    """The contract's name first, then its accepted alternatives."""
    return (name, *table.get(name, ()))
