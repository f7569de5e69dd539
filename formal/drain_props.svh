// SPDX-License-Identifier: Apache-2.0
// spw_drain implements drain_model (docs/formal.md, proof drain).
//
// Included by scripts/formal.py before spw_drain's `endmodule` in a scratch
// copy of hdl/spw_drain.v.  The drain's inputs are free except for the two
// guarantees the sequencer proof (seq_props.svh, g_*) shows: a capture only
// while cap_ok is high, and 1 <= NCOLS <= COLS in every capture.
//   D1  cap_ok_o and quiet_o equal drain_model's, every cycle, so the
//       sequencer proof may use the model in place of the drain.
//   D2  with stride 1 every lane stays in place and the whole word is
//       written (the lane moves and write masks of stride 2 change nothing).
//   D3  with stride 2 (docs/architecture.md 6.3), for any keep mask: no two
//       kept lanes go to the same lane; the kept lanes go to lanes o, o+1,
//       ... (mod ROWS) in lane order; the lanes written in word w are
//       exactly the destinations at or above o and those written in w+1
//       exactly the ones below o (wrapped), except that the tile holding
//       output pixel Ho*Wo-1 writes w from o to its end, and all of w+1 if
//       it reaches it.
// Helper invariants (h_*) tie the model's state to the drain's registers.

reg f_past_valid = 1'b0;
always @(posedge clk_i) f_past_valid <= 1'b1;
initial assume (!rst_ni);

wire [9:0]              f_left;
wire [`SPW_REQ_LAT-1:0] f_pend;
wire                    f_cap_ok, f_quiet;
drain_model #(.COLS(COLS)) f_model (
    .clk_i(clk_i), .rst_ni(rst_ni), .cap_i(cap_i), .ncols_i(cap_ncols_i), .acc_i(acc_mode_i),
    .left_o(f_left), .pend_o(f_pend), .cap_ok_o(f_cap_ok), .quiet_o(f_quiet)
);

// the sequencer's guarantees
always @* begin
    if (rst_ni && cap_i) begin
        assume (cap_ok_o);
        assume (cap_ncols_i >= 7'd1 && {25'd0, cap_ncols_i} <= COLS);
    end
end

always @* begin
    if (rst_ni) begin
        d1_cap_ok: assert (cap_ok_o == f_cap_ok);
        d1_quiet: assert (quiet_o == f_quiet);
        h_left: assert (f_left == (active_q ? {{(6-LC){1'b0}}, n_q - k_q} : 10'd0));
        h_count: assert (!active_q || k_q < n_q);
        h_pend: assert (f_pend == pend_q);
    end
end

always @(posedge clk_i) begin
    if (f_past_valid && rst_ni) begin
        c_acc: cover (cap_i && acc_mode_i && cap_ncols_i == COLS);
        c_back_to_back: cover (cap_i && active_q);
        c_quiet_again: cover (quiet_o && $past(!quiet_o));
    end
end

// ----------------------------------------------------------------------
// D2, D3: where the lanes go
// ----------------------------------------------------------------------
reg [LR:0]        f_rank [0:ROWS-1];    // kept lanes below lane r
reg [LR:0]        f_n;
reg [ROWS-1:0]    f_hit;                // lanes some kept lane goes to
reg [ROWS-1:0]    f_from_o;             // lanes at or above o
reg [ROWS*LR-1:0] f_ident;
reg               f_distinct, f_dest_ok, f_out_ok;
integer f_r, f_s, f_j;
always @* begin
    f_n = {(LR+1){1'b0}};
    f_dest_ok = 1'b1;
    f_out_ok = 1'b1;
    for (f_r = 0; f_r < ROWS; f_r = f_r + 1) begin
        f_rank[f_r] = f_n;
        f_n = f_n + {{LR{1'b0}}, keep_q[f_r]};
        f_ident[f_r*LR +: LR] = f_r[LR-1:0];
        f_from_o[f_r] = f_r[LR-1:0] >= o_q;
        if (dest_q[f_r] != o_q + f_rank[f_r][LR-1:0])
            f_dest_ok = 1'b0;
        if (keep_q[f_r] && rq_dest_o[f_r*LR +: LR] != o_q + f_rank[f_r][LR-1:0])
            f_out_ok = 1'b0;
    end
    f_distinct = 1'b1;
    for (f_r = 0; f_r < ROWS; f_r = f_r + 1)
        for (f_s = f_r + 1; f_s < ROWS; f_s = f_s + 1)
            if (keep_q[f_r] && keep_q[f_s] && dest_q[f_r] == dest_q[f_s])
                f_distinct = 1'b0;
    f_hit = {ROWS{1'b0}};
    for (f_j = 0; f_j < ROWS; f_j = f_j + 1)
        for (f_r = 0; f_r < ROWS; f_r = f_r + 1)
            if (keep_q[f_r] && dest_q[f_r] == f_j[LR-1:0])
                f_hit[f_j] = 1'b1;
end

always @* begin
    if (rst_ni) begin
        h_nk: assert (nk_q == f_n);
        h_dest: assert (f_dest_ok);
        if (!stride2_i) begin
            d2_stride1: assert (rq_keep_o == {ROWS{1'b1}} && rq_dest_o == f_ident &&
                                rq_lo_o == {ROWS{1'b1}} && rq_hi_o == {ROWS{1'b0}});
        end else begin
            d3_order: assert (rq_keep_o == keep_q && f_out_ok);
            d3_distinct: assert (f_distinct);
            if (!s2_last)
                d3_masks: assert (rq_lo_o == (f_hit & f_from_o) && rq_hi_o == (f_hit & ~f_from_o));
            else
                d3_last: assert (rq_lo_o == f_from_o &&
                                 rq_hi_o == (((f_hit & ~f_from_o) != {ROWS{1'b0}}) ? {ROWS{1'b1}} : {ROWS{1'b0}}));
        end
    end
end

always @(posedge clk_i) begin
    if (f_past_valid && rst_ni) begin
        c_s2_split: cover (stride2_i && active_q && rq_lo_o != {ROWS{1'b0}} && rq_hi_o != {ROWS{1'b0}});
        c_s2_last: cover (stride2_i && active_q && s2_last && rq_hi_o == {ROWS{1'b1}});
    end
end
