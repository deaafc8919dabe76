// Test only: the class of PerfTestPanic, a UGen that panics once its input is positive (feature test-panic).
PerfTestPanic : UGen {
	*kr { |trig = 0|
		^this.multiNew('control', trig)
	}
}
