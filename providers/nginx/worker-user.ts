// The renderer reads the workers' account from the runtime; kept here until render.ts moves to model/.
export * from "./runtime/worker-user";
