// PerfListen: hears a guitar — onset, level, pitch, chord, beat and tempo — for Performia's agents.
// Server side: plugin/src/ugens/perf_listen.rs over agents/src/listen/. Nine outputs, see the help file.
PerfListen : MultiOutUGen {
	classvar <qualities;

	*initClass {
		// Output 5 (chordQuality) numbers these; 0 is "no chord".
		qualities = [\none, \maj, \min, \7, \maj7, \min7, \sus4, \5];
	}

	*ar { |in, tempoPrior = 0|
		^this.multiNew('audio', in, tempoPrior)
	}

	*kr { |in, tempoPrior = 0|
		^this.multiNew('control', in, tempoPrior)
	}

	init { |... theInputs|
		inputs = theInputs;
		^this.initOutputs(9, rate)
	}

	checkInputs {
		if(inputs.at(0).rate != 'audio') {
			^"input 'in' is not audio rate: " + inputs.at(0) + inputs.at(0).rate
		};
		^this.checkValidInputs
	}
}
