r"""Image generation lecture: the four families (VAE, flow, diffusion, GAN) side by side;
DDPM's training (noise added in one step) and sampling algorithms, and the number of denoising
steps.

Data: seeded synthetic 2-D mixtures (named so) and scikit-learn's 8×8 digits.
"""

LECTURE = "Image generation"
EXPERIMENTS: tuple[str, ...] = (
    "generative_families", "diffusion_training_one_shot", "diffusion_steps")
"""The lecture's experiment modules, in the order of the course."""
