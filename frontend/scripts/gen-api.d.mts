/** Contract → generated file, both relative to frontend/. */
export declare const TARGETS: { contract: string; output: string }[];
/** The text the generated file for `contract` must hold. */
export declare function generate(contract: string): Promise<string>;
