r"""Generative adversarial networks lectures: the JS divergence fails when P_G and P_data do not
overlap, the Wasserstein distance does not; (later) Lipschitz critics, mode collapse,
evaluation by IS and FID, conditional GAN and CycleGAN.

Data: seeded synthetic distributions (named so) and scikit-learn's digits.
"""

LECTURE = "Generative adversarial networks"
EXPERIMENTS: tuple[str, ...] = (
    "js_divergence", "wgan_lipschitz", "mode_collapse", "gan_evaluation", "conditional_gan",
    "cycle_gan")
"""The lecture's experiment modules, in the order of the course."""
