// PerfPeak: the largest absolute sample of an audio-rate input within each control block.
// Server side: plugin/src/ugens/perf_peak.rs (Performia.so / Performia_supernova.so).
PerfPeak : UGen {
	// Control rate only: one value per block is the point of the UGen.
	*kr { |in|
		^this.multiNew('control', in)
	}

	checkInputs {
		if(inputs.at(0).rate != 'audio') {
			^"input 'in' is not audio rate: " + inputs.at(0) + inputs.at(0).rate
		};
		^this.checkValidInputs
	}
}
