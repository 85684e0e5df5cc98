"""Development tooling: factories, the synthetic dataset generator and the benchmark.

Installed only with the project's dev/test extras (factory-boy, Faker, tqdm); the settings
add this app when those are importable, and the runtime never imports it.
"""
