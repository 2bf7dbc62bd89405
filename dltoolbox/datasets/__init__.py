"""Built-in data sets: the Japanese Vowels speaker data (UCI), as MATLAB ships it."""

from .japanese_vowels import japaneseVowelsTestData, japaneseVowelsTrainData

__all__ = ["japaneseVowelsTrainData", "japaneseVowelsTestData"]
