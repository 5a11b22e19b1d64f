import { IsInt, IsString, validateSync } from 'class-validator';

/**
 * class-validator is patched to remember which rules apply to a class (patches/README.md): the
 * answer must stay what an unpatched lookup gives, also when rules are declared after a first use.
 */
describe('validation rules of a class, as remembered between validations', () => {
  it('are the same on every validation, and include a rule declared after the first one', () => {
    class Parcel {
      @IsString() id!: unknown;
      weightKg!: unknown;
    }
    const parcel = Object.assign(new Parcel(), { id: 'P-1', weightKg: 'heavy' });
    expect(validateSync(parcel)).toEqual([]);
    expect(validateSync(parcel)).toEqual([]);
    IsInt()(Parcel.prototype, 'weightKg');
    expect(validateSync(parcel).map((e) => e.property)).toEqual(['weightKg']);
  });

  it("of a subclass include its base's, also one declared after the subclass was validated", () => {
    class Crate {
      @IsString() id!: unknown;
      crates!: unknown;
    }
    class ColdCrate extends Crate {
      @IsInt() celsius!: unknown;
    }
    const crate = Object.assign(new ColdCrate(), { id: 7, celsius: 4, crates: 'many' });
    expect(validateSync(crate).map((e) => e.property)).toEqual(['id']);
    IsInt()(Crate.prototype, 'crates');
    expect(validateSync(crate).map((e) => e.property).sort()).toEqual(['crates', 'id']);
  });
});
