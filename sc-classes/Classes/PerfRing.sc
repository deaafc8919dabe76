// PerfRing: plays the events of Performia's shared-memory event ring, sample-accurately.
// Server side: plugin/src/ugens/perf_ring.rs. Attach the server first: s.sendMsg(\cmd, \performiaAttach, "performia").
PerfRing : MultiOutUGen {
	// Numbers of the ring's agents and event types (agents/src/shm/event.rs; never renumbered).
	classvar <agents, <types;

	*initClass {
		agents = (any: -1, all: 0, drums: 1, bass: 2, harmony: 3, melody: 4);
		types = (any: -1, note: 1, pedal: 2, mode: 3, tap: 4, param: 5, pattern: 6);
	}

	*ar { |agent = -1, type = -1|
		^this.multiNew('audio', this.number(agent, agents, "agent"), this.number(type, types, "type"))
	}

	*number { |value, table, what|
		^if(value.isKindOf(Symbol)) {
			table[value] ?? { Error("PerfRing: unknown % %; use one of %".format(what, value, table.keys.asArray.sort)).throw }
		} { value }
	}

	init { |... theInputs|
		inputs = theInputs;
		^this.initOutputs(5, rate)
	}
}
