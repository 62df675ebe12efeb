// mocha's spec reporter plus one closing line "N passed, M failed" that CI tooling reads.
const Mocha = require("mocha");

class SummaryReporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const s = runner.stats;
            process.nextTick(() => console.log(`${s.passes} passed, ${s.failures} failed` + (s.pending ? `, ${s.pending} skipped` : "")));
        });
    }
}

module.exports = SummaryReporter;
