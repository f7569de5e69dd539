// SPDX-License-Identifier: Apache-2.0
// Properties of spw_sequencer, bound into the module's scope.
//
// scripts/formal.py includes this file just before spw_sequencer's
// `endmodule` in a scratch copy of hdl/spw_sequencer.v (yosys has no
// `bind`).  The harness is seq_harness.sv (IMem model, free lane mask, free
// WMem data, the drain replaced by its contract drain_model.sv).  Every
// property is proven by k-induction from reset: for every reachable state,
// any IMem content, any START / START_PC sequence.  Tasks of job seq:
// prove (I1, F1, F2, A1, A2, l1_drop, guarantees g_*), live (L1's budget),
// cover.
//
//   I1  an idle sequencer (busy low) has an empty pipeline, a quiet drain,
//       an empty decode register and no halt or first fetch pending, and
//       drives no request: no IMem
//       fetch, no WMem or AMem read, no issue, no MAC step, no capture.
//   F1  from the cycle a faulting word fires to the end of the run, no step
//       is issued (no AMem or WMem read, no aligner valid), and no IMem word
//       is fetched after that cycle (the fault cycle's own fetch of the next
//       word is the harmless one the RTL documents).
//   F2  every MAC step belongs to a step issued in an earlier cycle, a
//       capture is a MAC step, at most ISSUE_TO_MAC steps are in flight, and
//       a run ends with none in flight: after a fault only the steps already
//       issued reach the MAC stage.
//   A1  every IMem fetch address is < IDEPTH, every WMem read address is
//       < WDEPTH, every AMem read address is < ADEPTH and inside the STEP's
//       own channel (CADDR .. CADDR + tiles - 1), on the right bank with the
//       port's row address = word / 2.  Compared at full width, before the
//       truncation to the port width, so a wrapped address cannot hide.
//   A2  a GROUP that is accepted writes inside AMem: OADDR + (NCOLS-1) *
//       OSTRIDE + words-per-channel <= ADEPTH, and a channel's output fits
//       its stride (words-per-channel <= OSTRIDE); words-per-channel is
//       tiles * words-per-tile, or To with stride 2.  That the drain then
//       turns this into write addresses < ADEPTH is not proven here.
//   G   the guarantees the drain proof assumes: a capture only while
//       cap_ok is high, and 1 <= NCOLS <= COLS in every capture.
//   L1  (bounded liveness) every run ends within F_BOUND busy cycles: see
//       the potential section below.
// Helper invariants (h_*) are stated only so that the induction closes;
// each is a fact about the design, proven like the rest.

reg fv_past_valid = 1'b0;
always @(posedge clk_i) fv_past_valid <= 1'b1;

// reset in step 0 only: every later state is reachable from reset
initial assume (!rst_ni);
always @(posedge clk_i) if (fv_past_valid) assume (rst_ni);

// ----------------------------------------------------------------------
// Ghost state of the current run
// ----------------------------------------------------------------------
reg        fv_fault = 1'b0;      // a faulting word has fired in this run
reg [2:0]  fv_inflight = 3'd0;   // steps issued whose MAC step has not happened
wire       fv_start = start_i && !run_q;
always @(posedge clk_i) begin
    if (!rst_ni) begin
        fv_fault <= 1'b0;
        fv_inflight <= 3'd0;
    end else begin
        if (fv_start)
            fv_fault <= 1'b0;
        else if (err_fire)
            fv_fault <= 1'b1;
        fv_inflight <= fv_inflight + {2'd0, al_valid_o} - {2'd0, mac_step_o};
    end
end

// ----------------------------------------------------------------------
// The drain by its contract (drain_model.sv; proof drain shows spw_drain
// implements it given the guarantees g_* below)
// ----------------------------------------------------------------------
wire [9:0]              fv_dleft;
wire [`SPW_REQ_LAT-1:0] fv_dpend;
wire                    fv_dcap_ok, fv_dquiet;
drain_model #(.COLS(COLS)) fv_drain (
    .clk_i(clk_i), .rst_ni(rst_ni), .cap_i(cap_o), .ncols_i(cap_ncols_o), .acc_i(acc_mode_o),
    .left_o(fv_dleft), .pend_o(fv_dpend), .cap_ok_o(fv_dcap_ok), .quiet_o(fv_dquiet)
);
always @* begin
    assume (cap_ok_i == fv_dcap_ok);
    assume (drain_quiet_i == fv_dquiet);
    if (rst_ni && cap_o) begin
        g_cap_ok: assert (cap_ok_i);
        g_cap_ncols: assert (cap_ncols_o >= 7'd1 && {25'd0, cap_ncols_o} <= COLS_U);
    end
end

// ----------------------------------------------------------------------
// I1: idle
// ----------------------------------------------------------------------
always @* begin
    if (rst_ni && !run_q) begin
        i1_state: assert (!halt_q && !fetch_start_q && !dv_q && !s1_v_q && !s2_v_q && !s3_v_q && drain_quiet_i);
        i1_ports: assert (!imem_req_o && !wmem_req_o && !amem_even_re_o && !amem_odd_re_o &&
                          !al_valid_o && !mac_step_o && !cap_o);
    end
end

// ----------------------------------------------------------------------
// F1, F2: nothing new after a fault
// ----------------------------------------------------------------------
wire fv_any_issue = al_valid_o || amem_even_re_o || amem_odd_re_o || wmem_req_o;
always @* begin
    if (rst_ni) begin
        f2_depth: assert (fv_inflight <= `SPW_ISSUE_TO_MAC);
        if (mac_step_o)
            f2_mac_issued: assert (fv_inflight != 3'd0);
        if (cap_o)
            f2_cap_is_mac: assert (mac_step_o);
        if (!run_q)
            f2_empty: assert (fv_inflight == 3'd0);
        if (err_fire || fv_fault)
            f1_no_issue: assert (!fv_any_issue);
        if (fv_fault && run_q)
            f1_no_fetch: assert (!imem_req_o);
    end
end

// ----------------------------------------------------------------------
// A1: read addresses inside the memories, at full width
// ----------------------------------------------------------------------
wire signed [TW+1:0] fv_even_word = swap ? a1 : a0;
wire signed [TW+1:0] fv_odd_word  = swap ? a0 : a1;
wire signed [TW+1:0] fv_caddr_s   = $signed({{(TW-14){1'b0}}, f_caddr});
wire signed [TW+1:0] fv_adepth_s  = $signed({{(TW-15){1'b0}}, ADEPTH_U[16:0]});
wire [16:0]          fv_wfull     = {1'b0, wbase_q} + {1'b0, s_q};
always @* begin
    if (rst_ni) begin
        if (imem_req_o) begin
            a1_imem: assert ({15'd0, fetch_pc} < IDEPTH_U);
            a1_imem_port: assert ({15'd0, fetch_pc} == {{(32-IAW){1'b0}}, imem_addr_o});
        end
        if (wmem_req_o) begin
            a1_wmem: assert ({15'd0, fv_wfull} < WDEPTH_U);
            a1_wmem_port: assert ({15'd0, fv_wfull} == {{(32-WAW){1'b0}}, wmem_addr_o});
        end
        if (amem_even_re_o) begin
            a1_even: assert (fv_even_word >= 0 && fv_even_word < fv_adepth_s && !fv_even_word[0]);
            a1_even_chan: assert (fv_even_word >= fv_caddr_s && fv_even_word < fv_caddr_s + tiles_s);
            a1_even_port: assert ((fv_even_word >>> 1) == $signed({{(TW+2-BAW){1'b0}}, amem_even_raddr_o}));
        end
        if (amem_odd_re_o) begin
            a1_odd: assert (fv_odd_word >= 0 && fv_odd_word < fv_adepth_s && fv_odd_word[0]);
            a1_odd_chan: assert (fv_odd_word >= fv_caddr_s && fv_odd_word < fv_caddr_s + tiles_s);
            a1_odd_port: assert ((fv_odd_word >>> 1) == $signed({{(TW+2-BAW){1'b0}}, amem_odd_raddr_o}));
        end
    end
end

// ----------------------------------------------------------------------
// A2: an accepted GROUP's outputs fit AMem
// ----------------------------------------------------------------------
wire [31:0] fv_wpt = acc_mode_q ? 32'd8 : 32'd1;
// AMem words per output channel: To with stride 2 (act mode only)
wire [31:0] fv_chw = stride2_q ? {{(32-TW){1'b0}}, otiles_q} : {{(32-TW){1'b0}}, tiles_q} * fv_wpt;
wire [31:0] fv_group_end = {16'd0, f_oaddr} + {26'd0, ncols_m1} * {16'd0, ostride_q} + fv_chw;
always @* begin
    if (rst_ni && ok_fire && op_group)
        a2_group_fits: assert (fv_group_end <= ADEPTH_U && fv_chw <= {16'd0, ostride_q});
end

// Stride 2: a group's output is checked with To, and its tiles T can be up
// to 4 * To; a group with a STEP has T <= ADEPTH (the channel check), so
// only an empty one runs more.  L1's potential pays a group at most ADEPTH
// tiles (F_K), so these runs are assumed away: every proof here covers only
// stride-2 layers with T <= ADEPTH (docs/formal.md).
always @* begin
    if (rst_ni && ok_fire && op_layer && f_stride2)
        assume ({{(32-TW){1'b0}}, new_tiles} <= ADEPTH_U);
end

// ----------------------------------------------------------------------
// Helper invariants
// ----------------------------------------------------------------------
function fv_ncols_ok;
    input [6:0] n;
    fv_ncols_ok = n >= 7'd1 && {25'd0, n} <= COLS_U;
endfunction
always @* begin
    if (rst_ni) begin
        h_fetch_start: assert (!fetch_start_q || (run_q && !dv_q && !halt_q && gs_q == GS_START));
        h_inflight: assert (fv_inflight == {2'd0, s1_v_q} + {2'd0, s2_v_q} + {2'd0, s3_v_q});
        h_climit: assert (gs_q == GS_START || climit_q == fv_adepth_s[19:0] - $signed({2'd0, tiles_q}));
        h_fault_halt: assert (!(fv_fault && run_q) || halt_q);
        h_wrange: assert ({1'b0, wbase_q} + {1'b0, nsteps_q} <= WDEPTH_U[16:0]);
        // where the group walk is, by grammar state
        h_bias: assert (gs_q != GS_BIAS || (hasbias_q && s_q == 16'd0 && t_q == {TW{1'b0}}));
        h_steps: assert (gs_q != GS_STEPS || (s_q < nsteps_q && t_q < tiles_q));
        h_nulls: assert (gs_q != GS_NULLS || (nsteps_q == 16'd0 && s_q == 16'd0 && t_q < tiles_q));
        h_gs: assert (gs_q <= GS_GDONE);
        // the LAYER check: tiles >= 1 and a channel's output fits OSTRIDE;
        // stride 2 only in act mode, with To >= 1 (and T <= ADEPTH, assumed)
        h_layer: assert (gs_q == GS_START ||
                         (tiles_q != 0 && fv_chw <= {16'd0, ostride_q}));
        h_stride2: assert (gs_q == GS_START || !stride2_q ||
                           (!acc_mode_q && otiles_q != 0 && {{(32-TW){1'b0}}, tiles_q} <= ADEPTH_U));
        // a group's bank, and the bank of every step in flight, holds an
        // accepted NCOLS
        if (gs_q == GS_BIAS || gs_q == GS_STEPS || gs_q == GS_NULLS)
            h_ncols_grp: assert (fv_ncols_ok(ncols_q[bank_q]));
        if (s1_v_q) h_ncols_s1: assert (fv_ncols_ok(ncols_q[s1_bank_q]));
        if (s2_v_q) h_ncols_s2: assert (fv_ncols_ok(ncols_q[s2_bank_q]));
        if (s3_v_q) h_ncols_s3: assert (fv_ncols_ok(ncols_q[s3_bank_q]));
        h_dpc: assert (!dv_q || drange_q || {15'd0, dpc_q} < IDEPTH_U);
        // an observation, not needed by any proof: no fault can fire while
        // a group issues null steps (decode waits), so null_fire's !halt_q
        // term never decides anything
        o_nulls_no_halt: assert (gs_q != GS_NULLS || !halt_q);
    end
end

// ----------------------------------------------------------------------
// L1: bounded liveness by a potential function
// ----------------------------------------------------------------------
// PHI (fv_phi) is an upper bound on the busy cycles a run still has to go.
// It is a function of the state only, and the proof shows
//   l1_drop:   every busy cycle, PHI falls by at least 1 (to 0 when busy
//              falls, so the run has ended by the time PHI would go below 1);
//   l1_budget: busy cycles so far + PHI <= F_BOUND, from the first busy cycle
//              on (where PHI <= F_BOUND by construction);
// hence every run ends -- busy falls, done pulses with DONE or ERROR in
// ERR_CODE -- within F_BOUND busy cycles (PERF_CYCLES <= F_BOUND), for any
// IMem content.  PHI is the sum of (docs/formal.md, section L1):
//   words  F_K per IMem word not yet reached (fv_h: the next such address;
//          every address >= IDEPTH counts as one word: the IMEM_RANGE
//          fault).  A GROUP takes the budget of its BIAS and STEP words when
//          it fires and turns it into the group term;
//   cur    1 while a LAYER / GROUP word waits for its prep slot;
//   group  F_WS per decode slot left in the current tile (and the BIAS
//          words), F_CT = F_WS * WDEPTH per later tile, and F_CCAP per tile
//          not yet captured (F_CCAP = COLS + 3, or 8 * COLS + 3 in acc mode:
//          the most drain words a capture can bring, + REQ_LAT + 1);
//   pipe   per step in flight: its distance to the MAC stage, plus F_CCAP
//          if it is a tile's last step (its capture is still to come);
//   drain  the cycles until the drain model is quiet: words left + REQ_LAT,
//          or the requantizer's occupancy;
//   fs     2 in the first-fetch cycle; end: 2 while running, 1 once halted.
// F_WS = 5 pays a slot, the pipeline distance (3) of the step it issues and
// the prep cycle of the next word; F_CCAP pays a capture's drain.
// F_K = F_WS * COLS/4 + (F_WS * WDEPTH + COLS + 3) * ADEPTH + 2 pays the
// largest group term one GROUP word can bring (an accepted group has
// tiles * words-per-tile <= ADEPTH and NSTEPS <= WDEPTH), so every word,
// paid F_K when first reached, covers what it causes.
localparam integer F_WS = 5;
localparam integer F_SXMAX = (WDEPTH > 0) ? WDEPTH : 1;
localparam integer F_K = F_WS * NB + (F_WS * F_SXMAX + COLS + 3) * ADEPTH + 2;
localparam [15:0] F_CT = F_WS * F_SXMAX;
localparam integer F_BOUND = F_K * (IDEPTH + 1) + 4;
localparam [15:0] F_K16 = F_K;
localparam [15:0] F_I16 = IDEPTH;

initial begin
    if (`SPW_REQ_LAT != 2)
        $error("%m: the drain term of PHI is written for REQ_LAT = 2");
end


// fv_h: the next IMem address whose budget is still in the words term
reg  [16:0] fv_h = 17'd0;
wire [16:0] fv_I1 = IDEPTH_U[16:0] + 17'd1;
wire [16:0] fv_dpc_eff = ({15'd0, dpc_q} >= IDEPTH_U) ? IDEPTH_U[16:0] : dpc_q;
wire [17:0] fv_blk_end = {1'b0, dpc_q} + 18'd1 + (hasbias_q ? NB_U[17:0] : 18'd0) + {2'd0, f_nsteps};
wire [16:0] fv_blk_end_c = (fv_blk_end > {1'b0, fv_I1}) ? fv_I1 : fv_blk_end[16:0];
wire [16:0] fv_h_fire = (ok_fire && op_group) ? fv_blk_end_c : fv_dpc_eff + 17'd1;
always @(posedge clk_i) begin
    if (!rst_ni)
        fv_h <= 17'd0;
    else if (fetch_start_q)
        fv_h <= ({16'd0, start_pc_i} >= IDEPTH_U) ? IDEPTH_U[16:0] : {1'b0, start_pc_i};
    else if (dec_fire && fv_h_fire > fv_h)
        fv_h <= fv_h_fire;
end

// The group term is linear in the state (constants times counters): a
// product of two state values (tiles left x steps per tile) would make the
// induction step a multiplier-equivalence problem the solver does not
// finish.  The price is a looser bound: a tile is paid for as if it had
// F_SXMAX steps and a capture as if NCOLS were COLS.
// STEP words beyond IMem are one IMEM_RANGE fault, so a tile has at most
// avail slots.  Operands are 8 bits wide: the helpers bound them (tiles <=
// ADEPTH in a group, steps per tile <= WDEPTH); the formal depths are < 256.
wire [16:0] fv_avail17 = ({15'd0, step0_pc_q} < IDEPTH_U) ? fv_I1 - step0_pc_q : 17'd1;
wire [7:0]  fv_avail = fv_avail17[7:0];
wire [7:0]  fv_seff = (nsteps_q < {8'd0, fv_avail}) ? nsteps_q[7:0] : fv_avail;
wire [7:0]  fv_sx   = (fv_seff == 8'd0) ? 8'd1 : fv_seff;
wire [TW-1:0] fv_trem_full = tiles_q - t_q;
wire [15:0] fv_trem = {8'd0, fv_trem_full[7:0]};
wire        fv_in_grp = run_q && !halt_q && (gs_q == GS_BIAS || gs_q == GS_STEPS || gs_q == GS_NULLS);
// decode slots left up to and including the current tile's last step
wire [15:0] fv_tile_slots = (gs_q == GS_BIAS) ? NB_U[15:0] - {{(16-LNB){1'b0}}, bcnt_q} + {8'd0, fv_sx}
                                              : {8'd0, fv_sx} - {8'd0, s_q[7:0]};
// what one capture is paid: its drain words (at most COLS, or 8 * COLS in
// acc mode) + REQ_LAT + 1
wire [15:0] fv_ccap = (acc_mode_q ? 16'd8 * COLS_U[15:0] : COLS_U[15:0]) + 16'd3;

wire [16:0] fv_hleft = fv_I1 - fv_h;

wire [15:0] fv_phi_words = fetch_start_q ? F_K16 * (F_I16 + 16'd1) : F_K16 * fv_hleft[15:0];
wire [15:0] fv_phi_cur   = (run_q && !halt_q && dv_q && !drange_q && heavy && !prep_q) ? 16'd1 : 16'd0;
wire [15:0] fv_phi_group = fv_in_grp ? 16'd5 * fv_tile_slots + F_CT * (fv_trem - 16'd1) + fv_ccap * fv_trem
                                     : 16'd0;
wire [15:0] fv_phi_pipe  = (s1_v_q ? 16'd3 + (s1_last_q ? fv_ccap : 16'd0) : 16'd0) +
                           (s2_v_q ? 16'd2 + (s2_last_q ? fv_ccap : 16'd0) : 16'd0) +
                           (s3_v_q ? 16'd1 + (s3_last_q ? fv_ccap : 16'd0) : 16'd0);
wire [15:0] fv_phi_drain = (fv_dleft != 10'd0) ? {6'd0, fv_dleft} + 16'd2 :
                           fv_dpend[0] ? 16'd2 : fv_dpend[1] ? 16'd1 : 16'd0;
wire [15:0] fv_phi_misc  = (fetch_start_q ? 16'd2 : 16'd0) + (halt_q ? 16'd1 : 16'd2);
wire [15:0] fv_phi = run_q ? fv_phi_words + fv_phi_cur + fv_phi_group + fv_phi_pipe + fv_phi_drain + fv_phi_misc
                           : 16'd0;

reg [15:0] fv_cyc = 16'd0;       // busy cycles of this run before the current one
always @(posedge clk_i) begin
    if (!rst_ni || fv_start)
        fv_cyc <= 16'd0;
    else if (run_q)
        fv_cyc <= fv_cyc + 16'd1;
end

// Helper invariants of the potential: where the decode word is, which
// words are still paid by the words term, and the size of a group.
wire [17:0] fv_blk_sum = {1'b0, step0_pc_q} + {2'd0, nsteps_q};
wire [16:0] fv_blk_now = (fv_blk_sum > {1'b0, fv_I1}) ? fv_I1 : fv_blk_sum[16:0];
wire fv_grp_state = gs_q == GS_BIAS || gs_q == GS_STEPS || gs_q == GS_NULLS;
always @* begin
    if (rst_ni) begin
        // a group's tiles: T * words-per-tile <= ADEPTH (A2), steps <= WDEPTH
        if (fv_grp_state)
            h_grp_size: assert ({{(32-TW){1'b0}}, tiles_q} * fv_wpt <= ADEPTH_U && t_q < tiles_q &&
                                {16'd0, nsteps_q} <= WDEPTH_U);
        h_dleft: assert ({22'd0, fv_dleft} <= 32'd8 * COLS_U);
        h_depths: assert (ADEPTH_U < 32'd256 && IDEPTH_U < 32'd255);
        if (run_q) begin
            if (!fetch_start_q) h_h_range: assert (fv_h <= fv_I1);
            if (!halt_q && !fetch_start_q)
                h_dv: assert (dv_q);
        end
        if (run_q && !halt_q && dv_q) begin
            // outside a group's BIAS/STEP block the decode word is the next
            // unpaid one (the IMEM_RANGE word may have been paid by a group
            // whose block ran past the end)
            if (!fv_grp_state || gs_q == GS_NULLS)
                h_fresh: assert (drange_q ? fv_h >= IDEPTH_U[16:0] : fv_dpc_eff == fv_h);
            if (gs_q == GS_STEPS)
                h_steps_pc: assert ({1'b0, dpc_q} == {1'b0, step0_pc_q} + {2'd0, s_q} &&
                                    s_q < {8'd0, fv_seff} && (fv_dpc_eff < fv_h || fv_h == fv_I1));
            if (gs_q == GS_BIAS)
                h_bias_pc: assert ({15'd0, dpc_q} + NB_U == {15'd0, step0_pc_q} + {{(32-LNB){1'b0}}, bcnt_q} &&
                                   {{(32-LNB){1'b0}}, bcnt_q} < NB_U && (fv_dpc_eff < fv_h || fv_h == fv_I1));
        end
        if (fv_grp_state && run_q && !halt_q)
            h_blk: assert (fv_h == fv_blk_now);
    end
end

// Two tasks of job seq share this file: seq.prove asserts l1_drop (with
// every safety property); seq.live (FV_L1_LIVE) assumes l1_drop -- proven
// by seq.prove without any use of l1_budget, so this is not circular -- and
// asserts the budget.  Asked together, the induction step does not finish.
always @(posedge clk_i) begin
    if (fv_past_valid && rst_ni && $past(rst_ni) && $past(run_q)) begin
`ifdef FV_L1_LIVE
        l1_drop_proven: assume (fv_phi < $past(fv_phi));
`else
        l1_drop: assert (fv_phi < $past(fv_phi));
`endif
    end
end
`ifdef FV_L1_LIVE
always @* begin
    if (rst_ni && run_q) begin
        // the first busy cycle: no cycle yet, PHI at its largest
        if (fetch_start_q)
            l1_start: assert (fv_cyc == 16'd0 && {16'd0, fv_phi} == F_BOUND);
        l1_budget: assert ({16'd0, fv_cyc} + {16'd0, fv_phi} <= F_BOUND);
        // the bound scripts/formal.py prints is this one
        l1_printed: assert (F_BOUND == `FV_BOUND);
        l1_bound: assert ({16'd0, fv_cyc} < F_BOUND);
    end
end
`endif

// ----------------------------------------------------------------------
// Covers: every antecedent above happens
// ----------------------------------------------------------------------
always @(posedge clk_i) begin
    if (fv_past_valid && rst_ni) begin
        c_done: cover (done_o && err_code_o == `SPW_ERR_NONE);
        c_err_opcode: cover (done_o && err_code_o == `SPW_ERR_ILLEGAL_OPCODE);
        c_err_empty: cover (done_o && err_code_o == `SPW_ERR_EMPTY_PROGRAM);
        c_err_malformed: cover (done_o && err_code_o == `SPW_ERR_MALFORMED);
        c_err_reserved: cover (done_o && err_code_o == `SPW_ERR_RESERVED);
        c_err_field: cover (done_o && err_code_o == `SPW_ERR_BAD_FIELD);
        c_err_imem: cover (done_o && err_code_o == `SPW_ERR_IMEM_RANGE);
        c_err_wmem: cover (done_o && err_code_o == `SPW_ERR_WMEM_RANGE);
        c_err_amem: cover (done_o && err_code_o == `SPW_ERR_AMEM_RANGE);
        c_fault_mac: cover (fv_fault && mac_step_o);
        c_fault_cap: cover (fv_fault && cap_o);
        c_stall: cover (stall_mac);
        c_barrier: cover (barrier_wait);
        // a run of some length that ends, and a fault that fires while the
        // drain still works on an earlier tile (the run must wait for it)
        c_run_16: cover (done_o && fv_cyc >= 16'd16);
        c_fault_drain: cover (err_fire && fv_dleft != 10'd0);
        c_acc_cap: cover (cap_o && acc_mode_q);
        c_null: cover (null_fire);
        c_bias: cover (ok_fire && op_bias);
        c_replay: cover (replay);
        c_imem_top: cover (imem_req_o && imem_addr_o == IDEPTH - 1);
        c_wmem_top: cover (wmem_req_o && wmem_addr_o == WDEPTH - 1);
        c_even_top: cover (amem_even_re_o && fv_even_word == fv_adepth_s - 2);
        c_odd_top: cover (amem_odd_re_o && fv_odd_word == fv_adepth_s - 1);
        c_swap: cover (amem_even_re_o && amem_odd_re_o && swap);
        c_group_top: cover (ok_fire && op_group && fv_group_end == ADEPTH_U);
    end
end
