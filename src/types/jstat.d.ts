/** The part of jstat (https://github.com/jstat/jstat) vmpath uses; the package ships no types.
 * It is CommonJS: import the default export. */
declare module 'jstat' {
  const jstat: {
    jStat: {
      studentt: {
        /** Inverse CDF of Student's t distribution with `dof` degrees of freedom. */
        inv(p: number, dof: number): number;
      };
    };
  };
  export default jstat;
}
