"""Who speaks: typed personas, the shipped persona libraries and seeded samplers."""

from personas.library import PersonaLibrary, builtin_libraries, load_library
from personas.model import Persona
from personas.sampler import derive_seed, sample_conditions, sample_persona

__all__ = [
    "Persona",
    "PersonaLibrary",
    "builtin_libraries",
    "derive_seed",
    "load_library",
    "sample_conditions",
    "sample_persona",
]
