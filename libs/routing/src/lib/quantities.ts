/**
 * Kilograms carry at most three decimals; the engine counts integer grams so that splitting a line
 * over sub-lots and adding it back up is exact.
 */
export const toGrams = (kg: number): number => Math.round(kg * 1000);
export const toKg = (grams: number): number => grams / 1000;
