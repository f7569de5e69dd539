// SPDX-License-Identifier: Apache-2.0
// Sequencer: fetches and checks IMem, loops over groups / tiles / valid steps, issues steps.
`timescale 1ns / 1ps
`default_nettype none

`include "spw_defs.vh"

// Runs a program of layers from IMem (docs/architecture.md sections 5, 6, 9, 10).
//
// Pipeline, relative to the cycle x in which an instruction word is decoded:
//   x-1  IMem read (fetch)            x    decode + checks; a STEP presents the
//   AMem even/odd and WMem read addresses and the aligner controls; its side
//   band (first/last/null/bank/tile/keep) then moves through three registers so it
//   reaches the MAC stage in x+3 together with the aligned activations and the
//   delayed weight word (ISSUE_TO_MAC = 3).
// Every decoded word takes one cycle; a group's STEP words are re-fetched for
// every tile (the address comes from counters, so there is no bubble); an
// empty group issues one null step per tile while the prefetched next word
// waits in the IMem output register.
// Global stall: a tile's last step may only reach the MAC stage when the drain
// buffer is free (cap_ok_i); otherwise every stage here holds (the drain and
// requantizer keep running, so the stall always ends).
// A LAYER after the first waits in decode until nothing is in flight (barrier).
// END or a fault stops issue; busy ends the cycle after the first cycle in
// which nothing is in flight.
// Assumes: SRAM read latency 1 with read data held until the next read.
//
// Coding style: one combinational block computes every register's next value
// (*_d) and one clocked block with reset stores it (*_q <= *_d).  The group
// register files (output address, column count and biases of the two group
// banks) are the exception: they are written by index from the clocked block
// with an enable from the next-state logic, because a *_d copy of a whole
// array would be a loop over every entry each time the next-state block runs.
module spw_sequencer #(
    // MAC array rows = pixel lanes per AMem word
    parameter ROWS = 8,
    // MAC array columns = output channels per WMem word
    parameter COLS = 8,
    // AMem depth in words (two banks of ADEPTH/2)
    parameter ADEPTH = 4096,
    // WMem depth in words
    parameter WDEPTH = 4096,
    // IMem depth in 64-bit words
    parameter IDEPTH = 4096
) (
    // Port widths are written out from the parameters: the localparams that
    // name them are declared in the body, after the ports, and a name may
    // not be used before its declaration.
    input  wire                    clk_i,
    input  wire                    rst_ni,

    /* host control */
    input  wire                    start_i,
    input  wire [15:0]             start_pc_i,
    output wire                    busy_o,
    output wire                    done_o,
    output wire [3:0]              err_code_o,
    output wire [15:0]             err_pc_o,
    output wire [31:0]             perf_cycles_o,
    output wire [31:0]             perf_mac_busy_o,
    output wire [31:0]             perf_skipped_o,
    output wire [31:0]             perf_stall_o,

    /* IMem read port */
    output wire                    imem_req_o,
    output wire [$clog2(IDEPTH)-1:0] imem_addr_o,
    input  wire [63:0]             imem_rdata_i,

    /* WMem read port; data comes back delayed to the MAC stage */
    output wire                    wmem_req_o,
    output wire [$clog2(WDEPTH)-1:0] wmem_addr_o,
    input  wire [COLS*4-1:0]       wmem_rdata_i,
    output wire [COLS*4-1:0]       mac_w_o,

    /* AMem bank read ports (row addresses) */
    output wire                    amem_even_re_o,
    output wire [$clog2(ADEPTH)-2:0] amem_even_raddr_o,
    output wire                    amem_odd_re_o,
    output wire [$clog2(ADEPTH)-2:0] amem_odd_raddr_o,

    /* aligner controls, valid in the decode cycle */
    output wire                    al_en_o,
    output wire                    al_valid_o,
    output wire                    al_swap_o,
    output wire                    al_lo_ok_o,
    output wire                    al_hi_ok_o,
    output wire [$clog2(ROWS)-1:0] al_off_o,
    output wire [ROWS-1:0]         al_mask_o,

    /* MAC stage */
    output wire                    mac_step_o,
    output wire                    mac_first_o,
    output wire                    mac_last_o,

    /* capture into the drain buffer, and the layer constants the drain uses */
    output wire                    cap_o,
    output wire [`SPW_TILE_W-1:0]  cap_tile_o,
    output wire [15:0]             cap_oaddr_o,
    output wire [6:0]              cap_ncols_o,
    output wire [COLS*15-1:0]      cap_bias_o,
    output wire [15:0]             ostride_o,
    output wire                    acc_mode_o,
    output wire [15:0]             scale_o,
    output wire [4:0]              shift_o,
    output wire [19:0]             hw_o,
    output wire [`SPW_TILE_W-1:0]  tiles_o,
    // stride 2 (docs/architecture.md 6.3): the captured tile's keep mask
    // (lanes at even y, even x inside the image, whatever the layer's
    // stride), the layer's STRIDE2 and its output size Ho*Wo
    output wire [ROWS-1:0]         cap_keep_o,
    output wire                    stride2_o,
    output wire [19:0]             howo_o,
    input  wire                    cap_ok_i,
    input  wire                    drain_quiet_i
);
    localparam IAW = $clog2(IDEPTH);
    localparam WAW = $clog2(WDEPTH);
    localparam AAW = $clog2(ADEPTH);
    localparam BAW = AAW - 1;
    localparam LR  = $clog2(ROWS);
    localparam NB  = COLS / `SPW_BIAS_PER_WORD;
    localparam LNB = (NB > 1) ? $clog2(NB) : 1;
    // tile counters: wide enough for any LAYER (spw_defs.vh)
    localparam TW  = `SPW_TILE_W;
    // Unsigned copies of the parameters: compared with or added to unsigned
    // vectors, a plain (signed integer) parameter would make the expression
    // mixed-signedness.
    localparam [31:0] ROWS_U   = ROWS;
    localparam [31:0] COLS_U   = COLS;
    localparam [31:0] ADEPTH_U = ADEPTH;
    localparam [31:0] WDEPTH_U = WDEPTH;
    localparam [31:0] IDEPTH_U = IDEPTH;
    localparam [31:0] NB_U     = NB;

    // grammar states: which instruction kinds decode may accept next
    localparam [2:0] GS_START  = 3'd0;
    localparam [2:0] GS_LAYER  = 3'd1;
    localparam [2:0] GS_LAYERQ = 3'd2;
    localparam [2:0] GS_BIAS   = 3'd3;
    localparam [2:0] GS_STEPS  = 3'd4;
    localparam [2:0] GS_NULLS  = 3'd5;
    localparam [2:0] GS_GDONE  = 3'd6;

    initial begin
        if (ROWS < 8 || (ROWS & (ROWS - 1)) != 0 || COLS < 8 || (COLS & (COLS - 1)) != 0)
            $error("%m: ROWS and COLS must be powers of two >= 8");
        if (ADEPTH > 65536 || WDEPTH > 65536 || IDEPTH > 65536 || (ADEPTH % 2) != 0)
            $error("%m: depths must fit the 16-bit address fields, ADEPTH even");
    end

    // ------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------
    // run control
    reg              run_d, run_q;
    reg              halt_d, halt_q;            // stop issuing, finish when quiet
    reg              fetch_start_d, fetch_start_q;  // first fetch, from START_PC
    reg  [2:0]       gs_d, gs_q;
    reg              dv_d, dv_q;                // a word (or a fetch-range fault) sits in decode
    reg              drange_d, drange_q;        // that fetch was beyond IMem
    reg  [16:0]      dpc_d, dpc_q;              // its address
    reg              prep_d, prep_q;            // that LAYER / GROUP word has had its prep cycle
    // results of the run, held for the host until the next START
    reg              done_d, done_q;
    reg  [3:0]       err_code_d, err_code_q;
    reg  [15:0]      err_pc_d, err_pc_q;
    reg  [31:0]      perf_cycles_d, perf_cycles_q;
    reg  [31:0]      perf_mac_busy_d, perf_mac_busy_q;
    reg  [31:0]      perf_skipped_d, perf_skipped_q;
    reg  [31:0]      perf_stall_d, perf_stall_q;
    // layer constants (LAYER, LAYERQ)
    reg  [15:0]      ndense_d, ndense_q;
    reg              hasbias_d, hasbias_q;
    reg  [15:0]      ostride_d, ostride_q;
    reg              acc_mode_d, acc_mode_q;
    reg  [15:0]      scale_d, scale_q;
    reg  [4:0]       shift_d, shift_q;
    reg  [19:0]      hw_d, hw_q;
    reg  [TW-1:0]    tiles_d, tiles_q;
    reg              stride2_d, stride2_q;
    reg  [19:0]      howo_d, howo_q;            // Ho * Wo (stride 2)
    reg  [TW-1:0]    otiles_d, otiles_q;        // To = ceil(Ho * Wo / ROWS)
    reg signed [19:0] climit_d, climit_q;       // ADEPTH - tiles: a STEP's channel address limit
    reg  [15:0]      skip_d, skip_q;            // NDENSE - NSTEPS of the group
    // group walk
    reg              bank_d, bank_q;            // which of two bias/output banks the group uses
    reg  [15:0]      wbase_d, wbase_q;
    reg  [15:0]      nsteps_d, nsteps_q;
    reg  [15:0]      s_d, s_q;                  // step within the tile
    reg  [16:0]      step0_pc_d, step0_pc_q;    // IMem address of the group's first STEP
    reg  [TW-1:0]    t_d, t_q;                  // tile
    // per tap k = (dy+1)*3 + (dx+1): pixel offset dy*W + dx of the layer,
    // and word t + floor((dy*W + dx) / ROWS) of the current tile t
    reg signed [12:0] dpix_d [0:8];
    reg signed [12:0] dpix_q [0:8];
    reg signed [TW+1:0] tw0_d [0:8];
    reg signed [TW+1:0] tw0_q [0:8];
    // prep-cycle results of the LAYER / GROUP word in decode (written every
    // cycle from the word in decode; read the cycle after its prep)
    reg  [19:0]      p_hw_q;                    // H * W
    reg  [19:0]      p_howo_q;                  // ceil(H/2) * ceil(W/2)
    reg  [21:0]      p_oprod_q;                 // (NCOLS - 1) * OSTRIDE
    reg signed [25:0] p_orem_q;                 // ADEPTH - OADDR - words per channel
    reg              p_wbad_q;                  // WBASE + NSTEPS > WDEPTH
    reg              p_nbad_q;                  // NSTEPS > NDENSE
    reg  [LNB-1:0]   bcnt_d, bcnt_q;            // BIAS words taken
    // group register files, one entry (or COLS biases) per bank: the bank of
    // a group still in the pipeline stays intact while the next GROUP and
    // its BIAS words are decoded
    reg              grp_we;
    reg              bias_we;
    reg  [15:0]      oaddr_q [0:1];
    reg  [6:0]       ncols_q [0:1];
    reg  [14:0]      bias_q  [0:2*COLS-1];
    // step side band through the three stages before the MAC
    reg              s1_v_d, s1_v_q;
    reg              s2_v_d, s2_v_q;
    reg              s3_v_d, s3_v_q;
    reg              s1_first_d, s1_first_q;
    reg              s2_first_d, s2_first_q;
    reg              s3_first_d, s3_first_q;
    reg              s1_last_d, s1_last_q;
    reg              s2_last_d, s2_last_q;
    reg              s3_last_d, s3_last_q;
    reg              s1_null_d, s1_null_q;
    reg              s2_null_d, s2_null_q;
    reg              s3_null_d, s3_null_q;
    reg              s1_bank_d, s1_bank_q;
    reg              s2_bank_d, s2_bank_q;
    reg              s3_bank_d, s3_bank_q;
    reg  [TW-1:0]    s1_tile_d, s1_tile_q;
    reg  [TW-1:0]    s2_tile_d, s2_tile_q;
    reg  [TW-1:0]    s3_tile_d, s3_tile_q;
    reg  [ROWS-1:0]  s1_keep_d, s1_keep_q;
    reg  [ROWS-1:0]  s2_keep_d, s2_keep_q;
    reg  [ROWS-1:0]  s3_keep_d, s3_keep_q;
    // weight word: WMem output (stage 2), then the MAC stage's copy (stage 3)
    reg  [COLS*4-1:0] w1_d, w1_q;
    reg  [COLS*4-1:0] mac_w_d, mac_w_q;

    // ------------------------------------------------------------------
    // Decode
    // ------------------------------------------------------------------
    wire [63:0] ins = imem_rdata_i;
    wire [3:0]  op  = ins[`SPW_OP_MSB:`SPW_OP_LSB];
    wire op_layer  = op == `SPW_OP_LAYER;
    wire op_layerq = op == `SPW_OP_LAYERQ;
    wire op_group  = op == `SPW_OP_GROUP;
    wire op_bias   = op == `SPW_OP_BIAS;
    wire op_step   = op == `SPW_OP_STEP;
    wire op_end    = op == `SPW_OP_END;
    wire legal = op_layer | op_layerq | op_group | op_bias | op_step | op_end;

    reg allowed;
    always @* begin
        case (gs_q)
            GS_START:  allowed = op_layer;
            GS_LAYER:  allowed = op_layerq;
            GS_LAYERQ: allowed = op_group;
            GS_BIAS:   allowed = op_bias;
            GS_STEPS:  allowed = op_step;
            GS_GDONE:  allowed = op_group | op_layer | op_end;
            default:   allowed = 1'b0;
        endcase
    end

    reg [63:0] rsv_mask;
    always @* begin
        case (op)
            `SPW_OP_LAYER:  rsv_mask = `SPW_LAYER_RSV_MASK;
            `SPW_OP_LAYERQ: rsv_mask = `SPW_LAYERQ_RSV_MASK;
            `SPW_OP_GROUP:  rsv_mask = `SPW_GROUP_RSV_MASK;
            `SPW_OP_BIAS:   rsv_mask = `SPW_BIAS_RSV_MASK;
            `SPW_OP_STEP:   rsv_mask = `SPW_STEP_RSV_MASK;
            default:        rsv_mask = `SPW_END_RSV_MASK;
        endcase
    end

    // fields
    wire [9:0]  f_h       = ins[`SPW_LAYER_H_MSB:`SPW_LAYER_H_LSB];
    wire [9:0]  f_w       = ins[`SPW_LAYER_W_MSB:`SPW_LAYER_W_LSB];
    wire [15:0] f_ostride = ins[`SPW_LAYER_OSTRIDE_MSB:`SPW_LAYER_OSTRIDE_LSB];
    wire [15:0] f_ndense  = ins[`SPW_LAYER_NDENSE_MSB:`SPW_LAYER_NDENSE_LSB];
    wire        f_mode    = ins[`SPW_LAYER_MODE_LSB];
    wire        f_stride2 = ins[`SPW_LAYER_STRIDE2_LSB];
    wire        f_hasbias = ins[`SPW_LAYER_HAS_BIAS_LSB];
    wire [15:0] f_scale   = ins[`SPW_LAYERQ_SCALE_MSB:`SPW_LAYERQ_SCALE_LSB];
    wire [4:0]  f_shift   = ins[`SPW_LAYERQ_SHIFT_MSB:`SPW_LAYERQ_SHIFT_LSB];
    wire [15:0] f_oaddr   = ins[`SPW_GROUP_OADDR_MSB:`SPW_GROUP_OADDR_LSB];
    wire [5:0]  f_ncols   = ins[`SPW_GROUP_NCOLS_MSB:`SPW_GROUP_NCOLS_LSB];
    wire [15:0] f_wbase   = ins[`SPW_GROUP_WBASE_MSB:`SPW_GROUP_WBASE_LSB];
    wire [15:0] f_nsteps  = ins[`SPW_GROUP_NSTEPS_MSB:`SPW_GROUP_NSTEPS_LSB];
    wire [14:0] f_b0      = ins[`SPW_BIAS_B0_MSB:`SPW_BIAS_B0_LSB];
    wire [14:0] f_b1      = ins[`SPW_BIAS_B1_MSB:`SPW_BIAS_B1_LSB];
    wire [14:0] f_b2      = ins[`SPW_BIAS_B2_MSB:`SPW_BIAS_B2_LSB];
    wire [14:0] f_b3      = ins[`SPW_BIAS_B3_MSB:`SPW_BIAS_B3_LSB];
    wire [3:0]  f_tap     = ins[`SPW_STEP_TAP_MSB:`SPW_STEP_TAP_LSB];
    wire [15:0] f_caddr   = ins[`SPW_STEP_CADDR_MSB:`SPW_STEP_CADDR_LSB];

    // LAYER and GROUP words spend a prep cycle in decode first: their
    // products and range sums are registered (p_*_q) from the word, so the
    // checks in the decode cycle are single compares.  The layer constants
    // they read (OSTRIDE, NDENSE, tiles) only change when a LAYER fires,
    // which cannot happen while the word waits in decode.
    wire heavy = op_layer | op_group;

    // output words per channel of the current layer: To with stride 2
    // (act mode only), else tiles or 8 nibble planes per tile
    wire [23:0]    cur_chw   = acc_mode_q ? ({6'd0, tiles_q} << 3) :
                               stride2_q  ? {6'd0, otiles_q} : {6'd0, tiles_q};
    // LAYER: tiles = ceil(H*W / ROWS); OSTRIDE holds a channel iff
    // tiles * wpt <= OSTRIDE, i.e. H*W <= floor(OSTRIDE / wpt) * ROWS; with
    // stride 2 the channel is To words, so Ho*Wo <= OSTRIDE * ROWS (act mode:
    // STRIDE2 with acc mode fails on its own)
    wire [31:0]    hw_round  = {12'd0, p_hw_q} + ROWS_U - 32'd1;
    wire [TW-1:0]  new_tiles = hw_round[TW+LR-1:LR];
    wire [31:0]    howo_round = {12'd0, p_howo_q} + ROWS_U - 32'd1;
    wire [TW-1:0]  new_otiles = howo_round[TW+LR-1:LR];
    wire [15:0]    ost_wpt   = f_mode ? {3'd0, f_ostride[15:3]} : f_ostride;
    wire [31:0]    ost_cap   = {16'd0, ost_wpt} << LR;
    wire [19:0]    out_pix   = f_stride2 ? p_howo_q : p_hw_q;
    // GROUP: one past the last word it writes is OADDR + (NCOLS-1)*OSTRIDE +
    // words per channel; in range iff (NCOLS-1)*OSTRIDE <= ADEPTH - OADDR - words
    wire [5:0]     ncols_m1  = f_ncols - 6'd1;
    wire           g_amem_bad = p_orem_q < 0 || $signed({4'd0, p_oprod_q}) > p_orem_q;
    // STEP: its channel's words end at CADDR + tiles <= ADEPTH
    wire           s_amem_bad = $signed({4'd0, f_caddr}) > climit_q;

    // the word in decode passes every check: a flat AND, so the fire logic
    // does not wait for the priority order that only picks the error code
    wire layer_bad = f_h == 10'd0 || f_w == 10'd0 || (f_stride2 && f_mode) || {12'd0, out_pix} > ost_cap;
    wire group_bad = f_ncols == 6'd0 || {26'd0, f_ncols} > COLS_U || p_nbad_q || p_wbad_q || g_amem_bad;
    wire step_bad  = f_tap >= `SPW_NUM_TAPS || s_amem_bad;
    wire word_ok   = !drange_q && legal && allowed && (ins & rsv_mask) == 64'd0
                     && !(op_layer && layer_bad) && !(op_group && group_bad) && !(op_step && step_bad);

    // the fault of the word in decode; the first check that fails wins (spec.py Err)
    reg [3:0] err_d;
    always @* begin
        err_d = `SPW_ERR_NONE;
        if (drange_q)
            err_d = `SPW_ERR_IMEM_RANGE;
        else if (!legal)
            err_d = `SPW_ERR_ILLEGAL_OPCODE;
        else if (!allowed)
            err_d = (gs_q == GS_START && op_end) ? `SPW_ERR_EMPTY_PROGRAM : `SPW_ERR_MALFORMED;
        else if ((ins & rsv_mask) != 64'd0)
            err_d = `SPW_ERR_RESERVED;
        else if (op_layer) begin
            if (f_h == 10'd0 || f_w == 10'd0 || (f_stride2 && f_mode) || {12'd0, out_pix} > ost_cap)
                err_d = `SPW_ERR_BAD_FIELD;
        end else if (op_group) begin
            if (f_ncols == 6'd0 || {26'd0, f_ncols} > COLS_U || p_nbad_q)
                err_d = `SPW_ERR_BAD_FIELD;
            else if (p_wbad_q)
                err_d = `SPW_ERR_WMEM_RANGE;
            else if (g_amem_bad)
                err_d = `SPW_ERR_AMEM_RANGE;
        end else if (op_step) begin
            if (f_tap >= `SPW_NUM_TAPS)
                err_d = `SPW_ERR_BAD_FIELD;
            else if (s_amem_bad)
                err_d = `SPW_ERR_AMEM_RANGE;
        end
    end

    // ------------------------------------------------------------------
    // Handshakes: stall, barrier, fire
    // ------------------------------------------------------------------
    wire quiet        = !s1_v_q && !s2_v_q && !s3_v_q && drain_quiet_i;
    wire stall_mac    = s3_v_q && s3_last_q && !cap_ok_i;
    wire dec_ready    = run_q && !halt_q && dv_q && gs_q != GS_NULLS;
    // the prep cycle is a decode slot of its own: it waits out a stall like one
    wire prep_go      = dec_ready && !drange_q && heavy && !prep_q && !stall_mac;
    wire dec_word     = dec_ready && (drange_q || !heavy || prep_q);
    wire barrier_wait = dec_word && word_ok && op_layer && gs_q != GS_START && !quiet;
    wire dec_fire     = dec_word && !stall_mac && !barrier_wait;
    wire err_fire     = dec_fire && !word_ok;
    wire ok_fire      = dec_fire && word_ok;
    wire null_fire    = run_q && !halt_q && gs_q == GS_NULLS && !stall_mac;
    wire step_fire    = ok_fire && op_step;
    wire issue        = step_fire || null_fire;
    // compared as s + 1 == NSTEPS and t + 1 == tiles: the increments run
    // beside the fire logic instead of after a subtraction
    wire [16:0] s_inc = {1'b0, s_q} + 17'd1;
    wire [TW:0] t_inc = {1'b0, t_q} + {{TW{1'b0}}, 1'b1};
    wire last_step    = null_fire || (step_fire && s_inc == {1'b0, nsteps_q});
    wire last_tile    = t_inc == {1'b0, tiles_q};
    wire next_tile    = issue && last_step && !last_tile;
    wire mac_step     = s3_v_q && !stall_mac;

    // ------------------------------------------------------------------
    // Fetch: a new word is read exactly when decode consumes one
    // ------------------------------------------------------------------
    // A word that fires with a fault also fetches its successor: the halt
    // makes that read harmless, and the fetch then waits on no range check
    // (IMem, WMem or AMem), which would otherwise lie on the IMem address path.
    wire        consume   = dec_fire && !op_end;
    // first STEP word of a group: after the GROUP word and its BIAS words
    wire [31:0] step0_pc  = {15'd0, dpc_q} + 32'd1 + (hasbias_q ? NB_U : 32'd0);
    // the last step of a tile that is not the group's last replays the group's STEPs
    wire        replay    = dec_fire && op_step && s_inc == {1'b0, nsteps_q} && !last_tile;
    wire [16:0] dpc_inc   = dpc_q + 17'd1;
    wire [16:0] next_pc   = replay ? step0_pc_q : dpc_inc;
    wire        fetch     = fetch_start_q || consume;
    wire [16:0] fetch_pc  = fetch_start_q ? {1'b0, start_pc_i} : next_pc;
    // each candidate is range-checked before the choice, not after it
    wire        fetch_oob = fetch_start_q ? ({16'd0, start_pc_i} >= IDEPTH_U) :
                            replay        ? ({15'd0, step0_pc_q} >= IDEPTH_U) :
                                            ({15'd0, dpc_inc} >= IDEPTH_U);
    assign imem_req_o  = fetch && !fetch_oob;
    assign imem_addr_o = fetch_pc[IAW-1:0];

    // ------------------------------------------------------------------
    // Step address generation (decode cycle)
    // ------------------------------------------------------------------
    // The tap's pixel offset dy*W + dx and the tile's word t + floor(that /
    // ROWS) come from per-tap registers (set by LAYER, by GROUP and at each
    // tile), so the decode cycle adds only the channel address.  An illegal
    // tap never issues: its (0, 0) entry is a don't-care.
    reg [LR-1:0]        d_off;       // lane offset (dy*W + dx) mod ROWS
    reg signed [TW+1:0] w0;
    always @* begin
        case (f_tap)
            4'd0: begin d_off = dpix_q[0][LR-1:0]; w0 = tw0_q[0]; end
            4'd1: begin d_off = dpix_q[1][LR-1:0]; w0 = tw0_q[1]; end
            4'd2: begin d_off = dpix_q[2][LR-1:0]; w0 = tw0_q[2]; end
            4'd3: begin d_off = dpix_q[3][LR-1:0]; w0 = tw0_q[3]; end
            4'd5: begin d_off = dpix_q[5][LR-1:0]; w0 = tw0_q[5]; end
            4'd6: begin d_off = dpix_q[6][LR-1:0]; w0 = tw0_q[6]; end
            4'd7: begin d_off = dpix_q[7][LR-1:0]; w0 = tw0_q[7]; end
            4'd8: begin d_off = dpix_q[8][LR-1:0]; w0 = tw0_q[8]; end
            default: begin d_off = dpix_q[4][LR-1:0]; w0 = tw0_q[4]; end
        endcase
    end
    // the tile's word pair (w0, w0+1) within the channel, and the AMem addresses
    wire signed [TW+1:0] w1  = w0 + 1;
    wire signed [TW+1:0] tiles_s = $signed({2'b00, tiles_q});
    // words outside the channel are not read: the aligner zeroes them
    wire lo_ok = (w0 >= 0) && (w0 < tiles_s);
    wire hi_ok = (w1 >= 0) && (w1 < tiles_s);
    wire signed [TW+1:0] a0 = $signed({{(TW-14){1'b0}}, f_caddr}) + w0;
    wire signed [TW+1:0] a1 = a0 + 1;
    // word w0 is odd: lo comes from the odd bank
    wire swap = a0[0];
    wire [ROWS-1:0] trk_mask;
    wire [ROWS-1:0] trk_keep;

    assign al_en_o      = !stall_mac;
    assign al_valid_o   = issue;
    assign al_swap_o    = swap;
    assign al_lo_ok_o   = step_fire && lo_ok;
    assign al_hi_ok_o   = step_fire && hi_ok;
    assign al_off_o     = d_off;
    assign al_mask_o    = step_fire ? trk_mask : {ROWS{1'b0}};
    assign amem_even_re_o    = step_fire && (swap ? hi_ok : lo_ok);
    assign amem_odd_re_o     = step_fire && (swap ? lo_ok : hi_ok);
    assign amem_even_raddr_o = swap ? a1[BAW:1] : a0[BAW:1];
    assign amem_odd_raddr_o  = a0[BAW:1];
    // < WDEPTH: the GROUP check bounds it
    wire [15:0] waddr_full = wbase_q + s_q;
    assign wmem_req_o   = step_fire;
    assign wmem_addr_o  = waddr_full[WAW-1:0];

    // Signals named unused_* are exempt from the UNUSED lint: these bits are
    // known not to matter (high address bits bounded by the range checks; the
    // drain derives its padding lanes from the tile index instead of the
    // tracker).
    wire [ROWS-1:0] unused_inimg;
    wire unused_bits = ^{waddr_full, a0, a1, hw_round, howo_round, step0_pc};

    spw_lane_tracker #(.ROWS(ROWS), .DIM_W(10)) u_tracker (
        .clk_i     (clk_i),
        .rst_ni    (rst_ni),
        .init_i    (ok_fire && op_layer),
        .h_i       (f_h),
        .w_i       (f_w),
        .restart_i (ok_fire && op_group),
        .advance_i (issue && last_step),
        .tap_i     (f_tap),
        .mask_o    (trk_mask),
        .inimg_o   (unused_inimg),
        .keep_o    (trk_keep)
    );

    // ------------------------------------------------------------------
    // MAC stage and capture
    // ------------------------------------------------------------------
    assign mac_step_o  = mac_step;
    assign mac_first_o = s3_first_q;
    assign mac_last_o  = s3_last_q;
    assign mac_w_o     = mac_w_q;
    assign cap_o       = s3_v_q && s3_last_q && !stall_mac;
    assign cap_tile_o  = s3_tile_q;
    assign cap_keep_o  = s3_keep_q;
    assign cap_oaddr_o = oaddr_q[s3_bank_q];
    assign cap_ncols_o = ncols_q[s3_bank_q];
    // biases of the captured tile's group; a layer without bias drains with 0
    genvar gc;
    generate
        for (gc = 0; gc < COLS; gc = gc + 1) begin : g_capbias
            assign cap_bias_o[gc*15 +: 15] = hasbias_q ? bias_q[(s3_bank_q ? COLS : 0) + gc] : 15'd0;
        end
    endgenerate

    // ------------------------------------------------------------------
    // Outputs held in registers
    // ------------------------------------------------------------------
    assign busy_o          = run_q;
    assign done_o          = done_q;
    assign err_code_o      = err_code_q;
    assign err_pc_o        = err_pc_q;
    assign perf_cycles_o   = perf_cycles_q;
    assign perf_mac_busy_o = perf_mac_busy_q;
    assign perf_skipped_o  = perf_skipped_q;
    assign perf_stall_o    = perf_stall_q;
    assign ostride_o       = ostride_q;
    assign acc_mode_o      = acc_mode_q;
    assign scale_o         = scale_q;
    assign shift_o         = shift_q;
    assign hw_o            = hw_q;
    assign tiles_o         = tiles_q;
    assign stride2_o       = stride2_q;
    assign howo_o          = howo_q;

    // prep-cycle values of the word in decode (see heavy above)
    wire [19:0]        p_hw_d    = {10'd0, f_h} * {10'd0, f_w};
    // ceil(H/2) * ceil(W/2) = (h + H[0]) * (w + W[0]) with h = H div 2 and
    // w = W div 2, expanded so that it is one multiply-add (one compressor
    // tree and a final adder) rather than increments before a multiplier
    wire [19:0]        f_hh      = {11'd0, f_h[9:1]};
    wire [19:0]        f_wh      = {11'd0, f_w[9:1]};
    wire [19:0]        p_howo_d  = f_hh * f_wh + (f_h[0] ? f_wh : 20'd0) + (f_w[0] ? f_hh : 20'd0)
                                   + {19'd0, f_h[0] & f_w[0]};
    wire [21:0]        p_oprod_d = {16'd0, ncols_m1} * {6'd0, ostride_q};
    wire signed [25:0] p_orem_d  = $signed({9'd0, ADEPTH_U[16:0]}) - $signed({10'd0, f_oaddr})
                                   - $signed({2'd0, cur_chw});
    wire [16:0]        g_wend    = {1'b0, f_wbase} + {1'b0, f_nsteps};
    wire               p_wbad_d  = {15'd0, g_wend} > WDEPTH_U;
    wire               p_nbad_d  = f_nsteps > ndense_q;

    // dy*W + dx of tap k = (dy+1)*3 + (dx+1)
    function signed [12:0] tap_pix;
        input integer   k;
        input [9:0]     w;
        reg signed [12:0] row;
        begin
            row = (k < 3) ? -$signed({3'b000, w}) : (k > 5) ? $signed({3'b000, w}) : 13'sd0;
            tap_pix = row + ((k % 3 == 0) ? -13'sd1 : (k % 3 == 2) ? 13'sd1 : 13'sd0);
        end
    endfunction

    integer k;

    // ------------------------------------------------------------------
    // Next state.  The events below are independent in practice, but where
    // two could touch the same register the later one wins.
    // ------------------------------------------------------------------
    always @* begin
        run_d = run_q;
        halt_d = halt_q;
        fetch_start_d = 1'b0;
        gs_d = gs_q;
        dv_d = dv_q;
        drange_d = drange_q;
        dpc_d = dpc_q;
        prep_d = prep_q;
        done_d = 1'b0;
        err_code_d = err_code_q;
        err_pc_d = err_pc_q;
        perf_cycles_d = perf_cycles_q;
        perf_mac_busy_d = perf_mac_busy_q;
        perf_skipped_d = perf_skipped_q;
        perf_stall_d = perf_stall_q;
        ndense_d = ndense_q;
        hasbias_d = hasbias_q;
        ostride_d = ostride_q;
        acc_mode_d = acc_mode_q;
        scale_d = scale_q;
        shift_d = shift_q;
        hw_d = hw_q;
        tiles_d = tiles_q;
        stride2_d = stride2_q;
        howo_d = howo_q;
        otiles_d = otiles_q;
        climit_d = climit_q;
        skip_d = skip_q;
        bank_d = bank_q;
        wbase_d = wbase_q;
        nsteps_d = nsteps_q;
        s_d = s_q;
        step0_pc_d = step0_pc_q;
        t_d = t_q;
        bcnt_d = bcnt_q;
        for (k = 0; k < 9; k = k + 1) begin
            dpix_d[k] = dpix_q[k];
            tw0_d[k] = tw0_q[k];
        end
        grp_we = 1'b0;
        bias_we = 1'b0;
        s1_v_d = s1_v_q;
        s2_v_d = s2_v_q;
        s3_v_d = s3_v_q;
        s1_first_d = s1_first_q;
        s2_first_d = s2_first_q;
        s3_first_d = s3_first_q;
        s1_last_d = s1_last_q;
        s2_last_d = s2_last_q;
        s3_last_d = s3_last_q;
        s1_null_d = s1_null_q;
        s2_null_d = s2_null_q;
        s3_null_d = s3_null_q;
        s1_bank_d = s1_bank_q;
        s2_bank_d = s2_bank_q;
        s3_bank_d = s3_bank_q;
        s1_tile_d = s1_tile_q;
        s2_tile_d = s2_tile_q;
        s3_tile_d = s3_tile_q;
        s1_keep_d = s1_keep_q;
        s2_keep_d = s2_keep_q;
        s3_keep_d = s3_keep_q;
        w1_d = w1_q;
        mac_w_d = mac_w_q;

        // START: a new run clears the previous run's results, so the host
        // reads only this run's error and counters once it is done
        if (start_i && !run_q) begin
            run_d = 1'b1;
            halt_d = 1'b0;
            fetch_start_d = 1'b1;
            gs_d = GS_START;
            dv_d = 1'b0;
            err_code_d = 4'd0;
            err_pc_d = 16'd0;
            perf_cycles_d = 32'd0;
            perf_mac_busy_d = 32'd0;
            perf_skipped_d = 32'd0;
            perf_stall_d = 32'd0;
        end

        // counters count busy cycles only
        if (run_q) begin
            perf_cycles_d = perf_cycles_q + 32'd1;
            if (stall_mac || barrier_wait)
                perf_stall_d = perf_stall_q + 32'd1;
            // null steps move the pipeline but do no MAC work
            if (mac_step && !s3_null_q)
                perf_mac_busy_d = perf_mac_busy_q + 32'd1;
        end

        // decode register: holds its word until decode consumes it
        if (fetch) begin
            dv_d = 1'b1;
            drange_d = fetch_oob;
            dpc_d = fetch_pc;
            prep_d = 1'b0;
        end else if (dec_fire) begin
            dv_d = 1'b0;
        end else if (prep_go) begin
            prep_d = 1'b1;
        end

        // finish only when nothing is in flight, so every AMem write of the
        // run has landed before done
        if (halt_q && quiet) begin
            run_d = 1'b0;
            halt_d = 1'b0;
            done_d = 1'b1;
            dv_d = 1'b0;
        end

        if (err_fire) begin
            halt_d = 1'b1;
            err_code_d = err_d;
            err_pc_d = dpc_q[15:0];
        end

        if (ok_fire) begin
            if (op_end)
                halt_d = 1'b1;
            if (op_layer) begin
                gs_d = GS_LAYER;
                ndense_d = f_ndense;
                hasbias_d = f_hasbias;
                ostride_d = f_ostride;
                acc_mode_d = f_mode;
                hw_d = p_hw_q;
                tiles_d = new_tiles;
                stride2_d = f_stride2;
                howo_d = p_howo_q;
                otiles_d = new_otiles;
                climit_d = $signed({3'd0, ADEPTH_U[16:0]}) - $signed({2'd0, new_tiles});
                for (k = 0; k < 9; k = k + 1)
                    dpix_d[k] = tap_pix(k, f_w);
            end
            if (op_layerq) begin
                gs_d = GS_LAYERQ;
                scale_d = f_scale;
                shift_d = f_shift;
            end
            if (op_group) begin
                // the new group takes the other bank: the previous group's
                // last tile may still be waiting to be captured
                bank_d = !bank_q;
                grp_we = 1'b1;
                wbase_d = f_wbase;
                nsteps_d = f_nsteps;
                skip_d = ndense_q - f_nsteps;
                s_d = 16'd0;
                t_d = {TW{1'b0}};
                for (k = 0; k < 9; k = k + 1)
                    tw0_d[k] = $signed({{(TW-11+LR){dpix_q[k][12]}}, dpix_q[k][12:LR]});
                bcnt_d = {LNB{1'b0}};
                step0_pc_d = step0_pc[16:0];
                if (hasbias_q)
                    gs_d = GS_BIAS;
                else if (f_nsteps == 16'd0)
                    gs_d = GS_NULLS;
                else
                    gs_d = GS_STEPS;
            end
            if (op_bias) begin
                bias_we = 1'b1;
                bcnt_d = bcnt_q + 1'b1;
                if ({{(32-LNB){1'b0}}, bcnt_q} == NB_U - 32'd1)
                    gs_d = (nsteps_q == 16'd0) ? GS_NULLS : GS_STEPS;
            end
        end

        if (issue) begin
            if (last_step) begin
                // a null step stands for all NDENSE steps skipped
                perf_skipped_d = perf_skipped_q + {16'd0, null_fire ? ndense_q : skip_q};
                s_d = 16'd0;
                if (last_tile)
                    gs_d = GS_GDONE;
                else
                    t_d = t_inc[TW-1:0];
            end else begin
                s_d = s_inc[15:0];
            end
        end
        if (next_tile) begin
            for (k = 0; k < 9; k = k + 1)
                tw0_d[k] = tw0_q[k] + 1;
        end

        // the side band and the weight word hold during a stall, in step
        // with the aligner (al_en_o)
        if (!stall_mac) begin
            s1_v_d = issue;
            s1_first_d = null_fire || s_q == 16'd0;
            s1_last_d = last_step;
            s1_null_d = null_fire;
            s1_bank_d = bank_q;
            s1_tile_d = t_q;
            // the tracker still shows the issuing step's tile: it advances
            // at the clock edge that ends the tile's last issue
            s1_keep_d = trk_keep;
            s2_v_d = s1_v_q;
            s2_first_d = s1_first_q;
            s2_last_d = s1_last_q;
            s2_null_d = s1_null_q;
            s2_bank_d = s1_bank_q;
            s2_tile_d = s1_tile_q;
            s2_keep_d = s1_keep_q;
            s3_v_d = s2_v_q;
            s3_first_d = s2_first_q;
            s3_last_d = s2_last_q;
            s3_null_d = s2_null_q;
            s3_bank_d = s2_bank_q;
            s3_tile_d = s2_tile_q;
            s3_keep_d = s2_keep_q;
            // WMem data is valid the cycle after the read; nulls use zero
            w1_d = s1_null_q ? {COLS*4{1'b0}} : wmem_rdata_i;
            mac_w_d = w1_q;
        end
    end

    // ------------------------------------------------------------------
    // Registers
    // ------------------------------------------------------------------
    integer i;

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            run_q <= 1'b0;
            halt_q <= 1'b0;
            fetch_start_q <= 1'b0;
            gs_q <= GS_START;
            dv_q <= 1'b0;
            drange_q <= 1'b0;
            dpc_q <= 17'd0;
            prep_q <= 1'b0;
            done_q <= 1'b0;
            err_code_q <= 4'd0;
            err_pc_q <= 16'd0;
            perf_cycles_q <= 32'd0;
            perf_mac_busy_q <= 32'd0;
            perf_skipped_q <= 32'd0;
            perf_stall_q <= 32'd0;
            ndense_q <= 16'd0;
            hasbias_q <= 1'b0;
            ostride_q <= 16'd0;
            acc_mode_q <= 1'b0;
            scale_q <= 16'd0;
            shift_q <= 5'd0;
            hw_q <= 20'd0;
            tiles_q <= {TW{1'b0}};
            stride2_q <= 1'b0;
            howo_q <= 20'd0;
            otiles_q <= {TW{1'b0}};
            climit_q <= 20'sd0;
            skip_q <= 16'd0;
            for (i = 0; i < 9; i = i + 1) begin
                dpix_q[i] <= 13'sd0;
                tw0_q[i] <= {(TW+2){1'b0}};
            end
            p_hw_q <= 20'd0;
            p_howo_q <= 20'd0;
            p_oprod_q <= 22'd0;
            p_orem_q <= 26'sd0;
            p_wbad_q <= 1'b0;
            p_nbad_q <= 1'b0;
            bank_q <= 1'b0;
            wbase_q <= 16'd0;
            nsteps_q <= 16'd0;
            s_q <= 16'd0;
            step0_pc_q <= 17'd0;
            t_q <= {TW{1'b0}};
            bcnt_q <= {LNB{1'b0}};
            oaddr_q[0] <= 16'd0;
            oaddr_q[1] <= 16'd0;
            ncols_q[0] <= 7'd0;
            ncols_q[1] <= 7'd0;
            for (i = 0; i < 2*COLS; i = i + 1)
                bias_q[i] <= 15'd0;
            s1_v_q <= 1'b0;
            s2_v_q <= 1'b0;
            s3_v_q <= 1'b0;
            s1_first_q <= 1'b0;
            s2_first_q <= 1'b0;
            s3_first_q <= 1'b0;
            s1_last_q <= 1'b0;
            s2_last_q <= 1'b0;
            s3_last_q <= 1'b0;
            s1_null_q <= 1'b0;
            s2_null_q <= 1'b0;
            s3_null_q <= 1'b0;
            s1_bank_q <= 1'b0;
            s2_bank_q <= 1'b0;
            s3_bank_q <= 1'b0;
            s1_tile_q <= {TW{1'b0}};
            s2_tile_q <= {TW{1'b0}};
            s3_tile_q <= {TW{1'b0}};
            s1_keep_q <= {ROWS{1'b0}};
            s2_keep_q <= {ROWS{1'b0}};
            s3_keep_q <= {ROWS{1'b0}};
            w1_q <= {COLS*4{1'b0}};
            mac_w_q <= {COLS*4{1'b0}};
        end else begin
            run_q <= run_d;
            halt_q <= halt_d;
            fetch_start_q <= fetch_start_d;
            gs_q <= gs_d;
            dv_q <= dv_d;
            drange_q <= drange_d;
            dpc_q <= dpc_d;
            prep_q <= prep_d;
            done_q <= done_d;
            err_code_q <= err_code_d;
            err_pc_q <= err_pc_d;
            perf_cycles_q <= perf_cycles_d;
            perf_mac_busy_q <= perf_mac_busy_d;
            perf_skipped_q <= perf_skipped_d;
            perf_stall_q <= perf_stall_d;
            ndense_q <= ndense_d;
            hasbias_q <= hasbias_d;
            ostride_q <= ostride_d;
            acc_mode_q <= acc_mode_d;
            scale_q <= scale_d;
            shift_q <= shift_d;
            hw_q <= hw_d;
            tiles_q <= tiles_d;
            stride2_q <= stride2_d;
            howo_q <= howo_d;
            otiles_q <= otiles_d;
            climit_q <= climit_d;
            skip_q <= skip_d;
            for (i = 0; i < 9; i = i + 1) begin
                dpix_q[i] <= dpix_d[i];
                tw0_q[i] <= tw0_d[i];
            end
            p_hw_q <= p_hw_d;
            p_howo_q <= p_howo_d;
            p_oprod_q <= p_oprod_d;
            p_orem_q <= p_orem_d;
            p_wbad_q <= p_wbad_d;
            p_nbad_q <= p_nbad_d;
            bank_q <= bank_d;
            wbase_q <= wbase_d;
            nsteps_q <= nsteps_d;
            s_q <= s_d;
            step0_pc_q <= step0_pc_d;
            t_q <= t_d;
            bcnt_q <= bcnt_d;
            // a GROUP fills the bank it switches to
            if (grp_we) begin
                oaddr_q[!bank_q] <= f_oaddr;
                ncols_q[!bank_q] <= {1'b0, f_ncols};
            end
            // a BIAS word carries four consecutive biases of the group's bank
            if (bias_we) begin
                bias_q[{bank_q, bcnt_q, 2'd0}] <= f_b0;
                bias_q[{bank_q, bcnt_q, 2'd1}] <= f_b1;
                bias_q[{bank_q, bcnt_q, 2'd2}] <= f_b2;
                bias_q[{bank_q, bcnt_q, 2'd3}] <= f_b3;
            end
            s1_v_q <= s1_v_d;
            s2_v_q <= s2_v_d;
            s3_v_q <= s3_v_d;
            s1_first_q <= s1_first_d;
            s2_first_q <= s2_first_d;
            s3_first_q <= s3_first_d;
            s1_last_q <= s1_last_d;
            s2_last_q <= s2_last_d;
            s3_last_q <= s3_last_d;
            s1_null_q <= s1_null_d;
            s2_null_q <= s2_null_d;
            s3_null_q <= s3_null_d;
            s1_bank_q <= s1_bank_d;
            s2_bank_q <= s2_bank_d;
            s3_bank_q <= s3_bank_d;
            s1_tile_q <= s1_tile_d;
            s2_tile_q <= s2_tile_d;
            s3_tile_q <= s3_tile_d;
            s1_keep_q <= s1_keep_d;
            s2_keep_q <= s2_keep_d;
            s3_keep_q <= s3_keep_d;
            w1_q <= w1_d;
            mac_w_q <= mac_w_d;
        end
    end
endmodule

`default_nettype wire
